import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { StreamId } from './ids.ts';

/** Streams archived per round of the archiving's search: each is its own transaction. */
const PAGE = 500;

export interface ArchivingScope {
  /** A stream is closed once it has had no event for this long. */
  readonly idleSeconds: number;
  /** Only this tenant's streams; every tenant's when absent. */
  readonly tenant?: TenantId;
  /** Count what would move, move nothing. */
  readonly dryRun?: boolean;
}

export interface ArchivingReport {
  readonly streams: number;
  readonly events: number;
}

const candidateRow = z.object({ tenant_id: z.string(), stream_id: z.string(), events: z.number().int() });
const movedRow = z.object({ moved: z.number().int().nullable() });

/**
 * Moves the events of closed streams (docs/archiving.md) to the cold partition,
 * one stream per transaction, as the schema owner: archive_stream checks the
 * stream is still idle under its row's lock, so an append racing the archiving
 * either lands first (the stream is skipped) or after (it brings the events back).
 */
export async function archiveIdleStreams(
  owner: DatabasePool,
  scope: ArchivingScope,
): Promise<ArchivingReport> {
  const tenant = scope.tenant ?? null;
  let after = {
    tenant: '00000000-0000-0000-0000-000000000000',
    stream: '00000000-0000-0000-0000-000000000000',
  };
  let streams = 0;
  let events = 0;
  for (;;) {
    const page = await owner.any(sql.type(candidateRow)`
      SELECT s.tenant_id, s.stream_id, s.version AS events FROM streams s
       WHERE s.archived_at IS NULL AND s.updated_at < now() - make_interval(secs => ${scope.idleSeconds})
         AND (${tenant}::uuid IS NULL OR s.tenant_id = ${tenant}::uuid)
         AND (s.tenant_id, s.stream_id) > (${after.tenant}::uuid, ${after.stream}::uuid)
       ORDER BY s.tenant_id, s.stream_id
       LIMIT ${PAGE}`);
    for (const candidate of page) {
      if (scope.dryRun) {
        streams += 1;
        events += candidate.events;
        continue;
      }
      const { moved } = await owner.one(sql.type(movedRow)`
        SELECT archive_stream(${candidate.tenant_id}, ${candidate.stream_id},
                              make_interval(secs => ${scope.idleSeconds}))::int AS moved`);
      if (moved === null) continue;
      streams += 1;
      events += moved;
    }
    const last = page.at(-1);
    if (!last || page.length < PAGE) return { streams, events };
    after = { tenant: last.tenant_id, stream: last.stream_id };
  }
}

/** Brings an archived stream's events back to the hot partition: how many, null when it is not archived. */
export async function unarchiveStream(
  owner: DatabasePool,
  tenant: TenantId,
  stream: StreamId,
): Promise<number | null> {
  const { moved } = await owner.one(sql.type(movedRow)`
    SELECT unarchive_stream(${tenant}, ${stream})::int AS moved`);
  return moved;
}
