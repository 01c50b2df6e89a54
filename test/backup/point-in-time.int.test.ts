import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { migrate } from '../../services/eventstore/index.ts';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { uniqueName } from '../support/names.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/wait.ts';
import { asOwner } from '../relay/harness.ts';
import { CommandStream, storedEvents } from '../relay/command-stream.ts';

// scripts/backup/backup.sh on an archiving cluster of the test's own (the shared
// server is never restarted): a full and an incremental backup, more commands,
// and a point-in-time restore to a moment between them into a second cluster.

const run = promisify(execFile);
const dir = join(projectRoot(), '.run', 'backup', uniqueName('pitr'));
let env: NodeJS.ProcessEnv;
let source = '';

async function backup(...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [join(projectRoot(), 'scripts', 'backup', 'backup.sh'), ...args], {
    env,
    timeout: 120_000,
  });
  return stdout.trim();
}

beforeAll(async () => {
  const port = await freePort();
  let restorePort = await freePort();
  while (restorePort === port) restorePort = await freePort();
  env = {
    ...process.env,
    BACKUP_DIR: dir,
    BACKUP_PG_PORT: String(port),
    BACKUP_RESTORE_PORT: String(restorePort),
  };
  source = await backup('up');
  await migrate(source);
}, 120_000);

afterAll(async () => {
  await backup('down');
  await rm(dir, { recursive: true, force: true });
}, 60_000);

async function one<Row extends Record<string, unknown>>(url: string, text: string): Promise<Row> {
  const [row] = await asOwner<Row>(url, text);
  if (!row) throw new Error(`no row: ${text}`);
  return row;
}

test('restored to a moment between two rounds of commands, the store holds exactly the events committed before it', async () => {
  const stream = await CommandStream.open(source, 3);
  try {
    await stream.run(1, 1);
    await backup('full');
    await stream.run(1, 1);
    await backup('incr');
    const before = await storedEvents(source);
    expect(before).toHaveLength(12);
    const { moment } = await one<{ moment: string }>(source, 'SELECT clock_timestamp()::text AS moment');
    await stream.run(1, 1);
    expect(await storedEvents(source)).toHaveLength(18);

    // The WAL holding the last round reaches the repository: what the restore replays up to the moment.
    const { segment } = await one<{ segment: string }>(
      source,
      'SELECT pg_walfile_name(pg_switch_wal()) AS segment',
    );
    await waitFor(
      `WAL segment ${segment} archived`,
      async () => {
        const { archived } = await one<{ archived: string | null }>(
          source,
          'SELECT last_archived_wal AS archived FROM pg_stat_archiver',
        );
        return archived !== null && archived >= segment ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    const restored = await backup('restore', moment);
    const after = await storedEvents(restored);
    expect(after.map((event) => event.event_id)).toEqual(before.map((event) => event.event_id));
    // The streams' versions agree with their events: the restore is a consistent cut.
    const { disagreeing } = await one<{ disagreeing: number }>(
      restored,
      `SELECT count(*)::int AS disagreeing FROM streams s
        WHERE s.version <> (SELECT max(e.stream_version) FROM events e
                             WHERE (e.tenant_id, e.stream_id) = (s.tenant_id, s.stream_id))`,
    );
    expect(disagreeing).toBe(0);
    // pgBackRest's own record: one full backup, one incremental on top of it.
    const [stanza] = JSON.parse(await backup('info')) as { backup: { type: string }[] }[];
    expect(stanza?.backup.map((each) => each.type)).toEqual(['full', 'incr']);
  } finally {
    await stream.close();
  }
}, 180_000);
