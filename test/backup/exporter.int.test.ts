import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { metricSeries } from '../support/metrics.ts';
import { uniqueName } from '../support/names.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/wait.ts';

// `eventline backup exporter`, built (dist/), reading the real pgBackRest repository
// scripts/backup/backup.sh makes on an archiving cluster of the test's own.

const run = promisify(execFile);
const dir = join(projectRoot(), '.run', 'backup', uniqueName('exporter'));
// The exporter's own copy of the configuration, which the last test points at a missing repository.
const exporterConfig = join(dir, 'exporter.conf');
let env: NodeJS.ProcessEnv;
let exporter: ChildProcess | undefined;
const output: string[] = [];
let opsUrl = '';

async function backup(...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [join(projectRoot(), 'scripts', 'backup', 'backup.sh'), ...args], {
    env,
    timeout: 120_000,
  });
  return stdout.trim();
}

interface InfoBackup {
  type: string;
  timestamp: { start: number; stop: number };
  info: { size: number; repository: { delta: number } };
}

/** pgBackRest's own record of the stanza's backups, read apart from the exporter. */
async function backups(): Promise<InfoBackup[]> {
  const [stanza] = JSON.parse(await backup('info')) as [{ backup: InfoBackup[] }];
  return stanza.backup;
}

const series = (metric: string) => metricSeries(opsUrl, metric);
const ofType = (type: string) => `type="${type}",component="backup-exporter"`;

beforeAll(async () => {
  const main = join(projectRoot(), 'dist/services/cli/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (make build)`);
  const port = await freePort();
  let restorePort = await freePort();
  while (restorePort === port) restorePort = await freePort();
  env = {
    ...process.env,
    BACKUP_DIR: dir,
    BACKUP_PG_PORT: String(port),
    BACKUP_RESTORE_PORT: String(restorePort),
  };
  await backup('up');
  await backup('full');
  await writeFile(exporterConfig, await readFile(join(dir, 'pgbackrest.conf'), 'utf8'));

  const opsPort = await freePort();
  opsUrl = `http://127.0.0.1:${opsPort}`;
  exporter = spawn(process.execPath, [main, 'backup', 'exporter'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      BACKUP_EXPORTER_PORT: String(opsPort),
      BACKUP_READ_INTERVAL_SECONDS: '5',
      PGBACKREST_CONFIG: exporterConfig,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [exporter.stdout, exporter.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => output.push(line));
  }
  await waitFor('the exporter to read the repository', async () => {
    if (exporter?.exitCode !== null) throw new Error(`exporter exited: ${output.join('\n')}`);
    const ready = await fetch(`${opsUrl}/ready`);
    const body = (await ready.json()) as { status: string };
    return body.status === 'ok' ? true : undefined;
  });
}, 120_000);

afterAll(async () => {
  if (exporter && exporter.exitCode === null) {
    const exited = new Promise((resolve) => exporter?.once('exit', resolve));
    exporter.kill('SIGTERM');
    await exited;
  }
  await backup('down');
  await rm(dir, { recursive: true, force: true });
}, 60_000);

test('after a full backup, its completion time, duration and sizes are pgBackRest’s own', async () => {
  const [full] = await backups();
  if (!full) throw new Error('no full backup in the repository');
  expect(await series('eventline_backup_last_completed_timestamp_seconds')).toEqual(
    new Map([[ofType('full'), full.timestamp.stop]]),
  );
  expect((await series('eventline_backup_last_duration_seconds')).get(ofType('full'))).toBe(
    full.timestamp.stop - full.timestamp.start,
  );
  expect((await series('eventline_backup_last_database_bytes')).get(ofType('full'))).toBe(full.info.size);
  expect((await series('eventline_backup_last_repository_bytes')).get(ofType('full'))).toBe(
    full.info.repository.delta,
  );
  // The backup archives the WAL it needs: a segment reached the repository no earlier than the backup began.
  const archived = (await series('eventline_backup_wal_archived_timestamp_seconds')).get(
    'component="backup-exporter"',
  );
  expect(archived).toBeGreaterThanOrEqual(full.timestamp.start);
  expect(archived).toBeLessThanOrEqual(Date.now() / 1000 + 1);
  expect((await series('eventline_backup_info_failed')).get('component="backup-exporter"')).toBe(0);
});

test('an incremental backup appears beside the full one at the next read', async () => {
  await backup('incr');
  const incr = (await backups()).find((record) => record.type === 'incr');
  if (!incr) throw new Error('no incremental backup in the repository');
  await waitFor(
    'the incremental backup on /metrics',
    async () =>
      (await series('eventline_backup_last_completed_timestamp_seconds')).get(ofType('incr')) ===
      incr.timestamp.stop
        ? true
        : undefined,
    { timeoutMs: 20_000, intervalMs: 250 },
  );
  expect((await series('eventline_backup_last_repository_bytes')).get(ofType('incr'))).toBe(
    incr.info.repository.delta,
  );
  expect((await series('eventline_backup_last_completed_timestamp_seconds')).has(ofType('full'))).toBe(true);
});

test('a repository it cannot read: info_failed 1, /ready degraded saying why, the last backups still shown', async () => {
  const before = await series('eventline_backup_last_completed_timestamp_seconds');
  const config = await readFile(exporterConfig, 'utf8');
  await writeFile(
    exporterConfig,
    config.replace(/^repo1-path=.*$/m, `repo1-path=${join(dir, 'no-such-repo')}`),
  );
  await waitFor(
    'eventline_backup_info_failed 1',
    async () =>
      (await series('eventline_backup_info_failed')).get('component="backup-exporter"') === 1
        ? true
        : undefined,
    { timeoutMs: 20_000, intervalMs: 250 },
  );
  const ready = await fetch(`${opsUrl}/ready`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({
    status: 'degraded',
    checks: {
      'pgbackrest-repository': { status: 'down', error: 'stanza eventline: missing stanza path (1)' },
    },
  });
  expect(await series('eventline_backup_last_completed_timestamp_seconds')).toEqual(before);
  expect(output.filter((line) => line.includes('cannot read the pgBackRest repository'))).toHaveLength(1);
});
