import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { z } from 'zod';
import { RepositoryUnreadable, type RepositoryState, repositoryState } from './repository-info.ts';

const run = promisify(execFile);

/** `pgbackrest repo-ls --output=json`: each entry's name, with the time it was written for files. */
const listing = z.record(z.string(), z.object({ type: z.string(), time: z.number().int().optional() }));

/**
 * pgBackRest's own command, reading one stanza's repository. Where the
 * repository is and its credentials come from pgBackRest's configuration
 * (`PGBACKREST_CONFIG`, `PGBACKREST_REPO1_*`), which it reads from the environment itself.
 */
export class PgBackRest {
  constructor(
    private readonly stanza: string,
    private readonly timeoutMs: number,
    private readonly command = 'pgbackrest',
  ) {}

  async state(): Promise<RepositoryState> {
    return repositoryState(await this.run('info', '--output=json'), this.stanza);
  }

  /** When the segment reached the repository (seconds since the epoch), or undefined if it is not listed. */
  async archivedAt(archiveId: string, segment: string): Promise<number | undefined> {
    // Archived segments live under archive/<stanza>/<archive id>/<the segment's first 16 hex digits>/.
    const json = await this.run(
      'repo-ls',
      `archive/${this.stanza}/${archiveId}/${segment.slice(0, 16)}`,
      `--filter=^${segment}`,
      '--output=json',
    );
    let entries: z.infer<typeof listing>;
    try {
      entries = listing.parse(JSON.parse(json));
    } catch {
      throw new RepositoryUnreadable('pgbackrest repo-ls printed what is not its JSON');
    }
    const times = Object.values(entries).flatMap((entry) =>
      entry.type === 'file' && entry.time !== undefined ? [entry.time] : [],
    );
    return times.length ? Math.max(...times) : undefined;
  }

  private async run(...args: string[]): Promise<string> {
    try {
      // It logs through its caller only: no log file to grow on a read-only root filesystem or a small /tmp.
      const options = [`--stanza=${this.stanza}`, '--log-level-file=off'];
      const { stdout } = await run(this.command, [...args.slice(0, 1), ...options, ...args.slice(1)], {
        timeout: this.timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout;
    } catch (error) {
      // pgBackRest's own error line (`ERROR: [055]: unable to open ...`) says why; it prints no secrets.
      const stderr = (error as { stderr?: unknown }).stderr;
      const said = typeof stderr === 'string' ? stderr.trim().split('\n')[0] : undefined;
      throw new RepositoryUnreadable(`pgbackrest ${args[0]} failed: ${said || (error as Error).message}`);
    }
  }
}
