import { z } from 'zod';

/** The parts of `pgbackrest info --output=json` the exporter reads; pgBackRest adds fields freely. */
const backupRecord = z.object({
  type: z.enum(['full', 'diff', 'incr']),
  error: z.boolean().optional(),
  timestamp: z.object({ start: z.number().int(), stop: z.number().int() }),
  info: z.object({
    size: z.number().int().nonnegative(),
    repository: z.object({ delta: z.number().int().nonnegative() }),
  }),
});

const stanzaRecord = z.object({
  name: z.string(),
  status: z.object({ code: z.number().int(), message: z.string() }),
  archive: z.array(z.object({ id: z.string(), max: z.string().nullable().optional() })),
  backup: z.array(backupRecord),
});

const infoDocument = z.array(stanzaRecord);

export type BackupType = z.infer<typeof backupRecord>['type'];

export const backupTypes: readonly BackupType[] = ['full', 'diff', 'incr'];

/** A backup pgBackRest completed without error. */
export interface CompletedBackup {
  readonly type: BackupType;
  readonly startedAt: number;
  readonly completedAt: number;
  /** The database's size as the backup saw it. */
  readonly databaseBytes: number;
  /** What this backup added to the repository (compressed; an incremental stores only what changed). */
  readonly repositoryBytes: number;
}

/** A stanza's backups and archived WAL, as one `info` read found them. */
export interface RepositoryState {
  /** The newest completed backup of each type that has one. */
  readonly newest: ReadonlyMap<BackupType, CompletedBackup>;
  /** The newest archived WAL segment and the archive (e.g. `15-1`) holding it, if any WAL is archived. */
  readonly newestSegment: { readonly archiveId: string; readonly segment: string } | undefined;
}

/** The repository could not be read, or holds no such stanza: what the exporter reports as a failed read. */
export class RepositoryUnreadable extends Error {
  override readonly name = 'RepositoryUnreadable';
}

// 0 ok, 2 no valid backups yet: either is a repository read. The others (missing stanza path or data,
// repositories disagreeing, 99 other) mean the exporter cannot see the stanza's backups.
const READABLE = new Set([0, 2]);

/** Reads one stanza out of `pgbackrest info --output=json`. */
export function repositoryState(json: string, stanza: string): RepositoryState {
  let document: z.infer<typeof infoDocument>;
  try {
    document = infoDocument.parse(JSON.parse(json));
  } catch (error) {
    throw new RepositoryUnreadable(`pgbackrest info printed what is not its JSON: ${firstLine(error)}`);
  }
  const found = document.find((record) => record.name === stanza);
  if (!found) throw new RepositoryUnreadable(`pgbackrest info knows no stanza ${stanza}`);
  if (!READABLE.has(found.status.code))
    throw new RepositoryUnreadable(`stanza ${stanza}: ${found.status.message} (${found.status.code})`);
  const newest = new Map<BackupType, CompletedBackup>();
  for (const backup of found.backup) {
    if (backup.error) continue;
    const seen = newest.get(backup.type);
    if (seen && seen.completedAt >= backup.timestamp.stop) continue;
    newest.set(backup.type, {
      type: backup.type,
      startedAt: backup.timestamp.start,
      completedAt: backup.timestamp.stop,
      databaseBytes: backup.info.size,
      repositoryBytes: backup.info.repository.delta,
    });
  }
  // The current archive is the last one listed (a stanza upgrade adds one); its max is the newest segment.
  const archive = found.archive.at(-1);
  const newestSegment = archive?.max ? { archiveId: archive.id, segment: archive.max } : undefined;
  return { newest, newestSegment };
}

function firstLine(error: unknown): string {
  if (error instanceof z.ZodError) {
    const [issue] = error.issues;
    return issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid';
  }
  return error instanceof Error ? error.message : String(error);
}
