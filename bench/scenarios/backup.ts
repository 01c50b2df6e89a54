/**
 * Backups and point-in-time restores with pgBackRest (issue 21), by
 * scripts/backup/backup.sh on an archiving cluster of the scenario's own (its
 * own BACKUP_DIR and ports; stopped and removed after). For each size N
 * (1,000,000 and 10,000,000 events; QUICK: 100,000): N order events loaded in
 * bulk (INSERT … SELECT generate_series, as projector-rebuild seeds them), a
 * full backup, 10% more events, an incremental backup, 1% more, a moment noted,
 * 1% more, and a restore to that moment into a second cluster, which must hold
 * exactly the events committed before it. Each step's time, and what each
 * backup added to the repository.
 *
 * Then the recovery point WAL archiving achieves: single-event commits go on
 * continuously while, every half second, the newest archived WAL segment
 * (pg_stat_archiver) is compared with the segments the commits were written in:
 * the committed work at risk is the time since the newest commit whose WAL is
 * in the repository. With little write traffic a segment is closed by
 * archive_timeout (60 s in backup.sh), which bounds it, plus the time a closed
 * segment takes to reach the repository (measured first, over three switches).
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { migrate } from '../../services/eventstore/index.ts';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { asAdmin } from '../lib/databases.ts';
import { figure, NO_PEER, type ScenarioResult, type TargetCheck } from '../lib/report.ts';
import { freePort, sleep } from '../lib/stack.ts';
import { seedOrders } from './projector-rebuild.ts';

const run = promisify(execFile);
const EVENTS_PER_ORDER = 10;
const SEED_CHUNK = 100_000;
const ARCHIVE_TIMEOUT_SECONDS = 60;

interface InfoBackup {
  readonly type: string;
  readonly timestamp: { readonly start: number; readonly stop: number };
  readonly info: { readonly size: number; readonly repository: { readonly delta: number } };
}

/** backup.sh on a cluster and repository of the scenario's own. */
class ArchivingCluster {
  private constructor(
    private readonly env: NodeJS.ProcessEnv,
    readonly dir: string,
  ) {}

  static async create(name: string): Promise<ArchivingCluster> {
    const port = await freePort();
    let restorePort = await freePort();
    while (restorePort === port) restorePort = await freePort();
    const dir = join(projectRoot(), '.run', 'backup', `bench-${process.pid}-${name}`);
    return new ArchivingCluster(
      {
        ...process.env,
        BACKUP_DIR: dir,
        BACKUP_PG_PORT: String(port),
        BACKUP_RESTORE_PORT: String(restorePort),
      },
      dir,
    );
  }

  async backup(...args: string[]): Promise<string> {
    const { stdout } = await run('bash', [join(projectRoot(), 'scripts', 'backup', 'backup.sh'), ...args], {
      env: this.env,
      timeout: 3_600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim();
  }

  async newestBackup(): Promise<InfoBackup> {
    const [stanza] = JSON.parse(await this.backup('info')) as [{ backup: InfoBackup[] }];
    const newest = stanza.backup.at(-1);
    if (!newest) throw new Error('no backup in the repository');
    return newest;
  }

  async remove(): Promise<void> {
    await this.backup('down').catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = process.hrtime.bigint();
  const result = await work();
  return [result, Number(process.hrtime.bigint() - started) / 1e9];
}

async function one<Row extends pg.QueryResultRow>(url: string, text: string): Promise<Row> {
  const [row] = await asAdmin<Row>(url, text);
  if (!row) throw new Error(`no row: ${text}`);
  return row;
}

const eventCount = async (url: string) =>
  Number((await one<{ n: string }>(url, 'SELECT count(*) AS n FROM events')).n);

/** Orders [first, last) in chunks of SEED_CHUNK events, each chunk its own transaction. */
async function seed(url: string, firstOrder: number, lastOrder: number): Promise<void> {
  const perChunk = SEED_CHUNK / EVENTS_PER_ORDER;
  for (let first = firstOrder; first < lastOrder; first += perChunk) {
    await asAdmin(url, seedOrders(first, Math.min(lastOrder, first + perChunk) - 1));
  }
}

/** Closes the current WAL segment and waits until the repository holds it (and so every segment before it). */
async function archiveNow(url: string, withinMs = 120_000): Promise<void> {
  const { segment } = await one<{ segment: string }>(
    url,
    'SELECT pg_walfile_name(pg_switch_wal()) AS segment',
  );
  const deadline = Date.now() + withinMs;
  for (;;) {
    const { archived } = await one<{ archived: string | null }>(
      url,
      'SELECT last_archived_wal AS archived FROM pg_stat_archiver',
    );
    if (archived !== null && archived >= segment) return;
    if (Date.now() > deadline)
      throw new Error(`WAL segment ${segment} not archived within ${withinMs / 1000} s`);
    await sleep(100);
  }
}

interface SizeFigures {
  readonly events: number;
  readonly load: number;
  readonly archivedAfterLoad: number;
  readonly full: number;
  readonly fullRepositoryBytes: number;
  readonly databaseBytes: number;
  readonly incr: number;
  readonly incrRepositoryBytes: number;
  readonly restore: number;
}

async function measureSize(events: number, log: (line: string) => void): Promise<SizeFigures> {
  const cluster = await ArchivingCluster.create(String(events));
  try {
    const source = await cluster.backup('up');
    await migrate(source);
    const orders = events / EVENTS_PER_ORDER;
    const [, load] = await timed(() => seed(source, 0, orders));
    log(`backup ${events}: loaded in ${load.toFixed(1)} s`);
    // A bulk load writes WAL faster than it is archived: a backup waits for its first segment only
    // archive-timeout (60 s), so the backlog is drained first, and how long that takes is a figure.
    const [, archivedAfterLoad] = await timed(() => archiveNow(source, 3_600_000));
    log(`backup ${events}: the load's WAL in the repository ${archivedAfterLoad.toFixed(1)} s after it`);
    const [, full] = await timed(() => cluster.backup('full'));
    const fullBackup = await cluster.newestBackup();
    log(`backup ${events}: full backup in ${full.toFixed(1)} s`);
    const tenth = orders / 10;
    await seed(source, orders, orders + tenth);
    await archiveNow(source, 3_600_000);
    const [, incr] = await timed(() => cluster.backup('incr'));
    const incrBackup = await cluster.newestBackup();
    log(`backup ${events}: incremental backup in ${incr.toFixed(1)} s`);
    const hundredth = Math.max(1, orders / 100);
    await seed(source, orders + tenth, orders + tenth + hundredth);
    const expected = await eventCount(source);
    const { moment } = await one<{ moment: string }>(source, 'SELECT clock_timestamp()::text AS moment');
    await seed(source, orders + tenth + hundredth, orders + tenth + 2 * hundredth);
    await archiveNow(source);
    const [restored, restore] = await timed(() => cluster.backup('restore', moment));
    const found = await eventCount(restored);
    if (found !== expected)
      throw new Error(`the restore holds ${found} events, not the ${expected} before ${moment}`);
    log(`backup ${events}: restored to a point in time in ${restore.toFixed(1)} s (${found} events)`);
    return {
      events,
      load,
      archivedAfterLoad,
      full,
      fullRepositoryBytes: fullBackup.info.repository.delta,
      databaseBytes: fullBackup.info.size,
      incr,
      incrRepositoryBytes: incrBackup.info.repository.delta,
      restore,
    };
  } finally {
    await cluster.remove();
  }
}

/**
 * How long a closed WAL segment takes to reach the repository (three switches), then the seconds of
 * committed work not yet in the repository, sampled every half second for `seconds`.
 */
async function measureRecoveryPoint(
  seconds: number,
  log: (line: string) => void,
): Promise<{ archiving: number[]; atRisk: number[] }> {
  const cluster = await ArchivingCluster.create('rpo');
  try {
    const source = await cluster.backup('up');
    await migrate(source);
    // `up` created the stanza: WAL is archived from then on, backup or not.
    const archiving: number[] = [];
    for (let switches = 0; switches < 3; switches += 1) {
      await asAdmin(source, seedOrders(20_000_000 + switches, 20_000_000 + switches, { eventsPerOrder: 1 }));
      archiving.push((await timed(() => archiveNow(source)))[1]);
    }
    const safeSince = Date.now();
    const commits: { at: number; segment: string }[] = [];
    const client = new pg.Client({ connectionString: source });
    await client.connect();
    let stop = false;
    const committing = (async () => {
      for (let order = 10_000_000; !stop; order += 1) {
        const { rows } = await client.query<{ segment: string }>(
          `WITH added AS (${seedOrders(order, order, { eventsPerOrder: 1 })} RETURNING 1)
           SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS segment FROM added LIMIT 1`,
        );
        commits.push({ at: Date.now(), segment: rows[0]?.segment ?? '' });
        await sleep(10);
      }
    })();
    const atRisk: number[] = [];
    const until = Date.now() + seconds * 1000;
    try {
      while (Date.now() < until) {
        await sleep(500);
        const { archived } = await one<{ archived: string | null }>(
          source,
          'SELECT last_archived_wal AS archived FROM pg_stat_archiver',
        );
        const now = Date.now();
        const kept = commits.filter((commit) => archived !== null && commit.segment <= archived).at(-1);
        atRisk.push((now - Math.max(safeSince, kept?.at ?? 0)) / 1000);
      }
    } finally {
      stop = true;
      await committing;
      await client.end();
    }
    log(
      `backup rpo: ${commits.length} commits over ${seconds} s; at risk up to ${Math.max(...atRisk).toFixed(1)} s`,
    );
    return { archiving, atRisk };
  } finally {
    await cluster.remove();
  }
}

const MB = 1024 * 1024;

export async function backupScenarios(options: {
  readonly quick: boolean;
  readonly log: (line: string) => void;
}): Promise<ScenarioResult[]> {
  const { quick, log } = options;
  const sizes = quick ? [100_000] : [1_000_000, 10_000_000];
  const results: ScenarioResult[] = [];
  for (const events of sizes) {
    let measured: SizeFigures | string;
    try {
      measured = await measureSize(events, log);
    } catch (error) {
      measured = `failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    const of = (pick: (figures: SizeFigures) => number) =>
      typeof measured === 'string' ? measured : [pick(measured)];
    results.push({
      id: `backup-${events}`,
      title: `pgBackRest full backup of ${events} events, incremental after 10% more, point-in-time restore`,
      loadGenerator:
        'scripts/backup/backup.sh (pgBackRest, --start-fast, default compression) on an archiving cluster of its own; ' +
        'events seeded with INSERT … SELECT generate_series; the restore replays WAL to a moment after the incremental',
      concurrency: 1,
      poolSize: 1,
      warmup: 'none',
      rounds: 1,
      perRound: `${events} events`,
      synchronousCommit: {},
      figures: [
        figure(
          'load',
          's',
          'lower',
          of((f) => f.load),
          NO_PEER,
        ),
        figure(
          "the load's WAL archived",
          's',
          'lower',
          of((f) => f.archivedAfterLoad),
          NO_PEER,
        ),
        figure(
          'full backup',
          's',
          'lower',
          of((f) => f.full),
          NO_PEER,
        ),
        figure(
          'database size',
          'MB',
          'lower',
          of((f) => f.databaseBytes / MB),
          NO_PEER,
        ),
        figure(
          'full backup in repository',
          'MB',
          'lower',
          of((f) => f.fullRepositoryBytes / MB),
          NO_PEER,
        ),
        figure(
          'incremental backup',
          's',
          'lower',
          of((f) => f.incr),
          NO_PEER,
        ),
        figure(
          'incremental in repository',
          'MB',
          'lower',
          of((f) => f.incrRepositoryBytes / MB),
          NO_PEER,
        ),
        figure(
          'point-in-time restore',
          's',
          'lower',
          of((f) => f.restore),
          NO_PEER,
        ),
      ],
    });
  }
  const window = quick ? 15 : 180;
  let atRisk: number[] | string;
  let archiving: number[] | string;
  try {
    ({ atRisk, archiving } = await measureRecoveryPoint(window, log));
  } catch (error) {
    atRisk = archiving = `failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  results.push({
    id: 'backup-rpo',
    title: `recovery point with WAL archiving (archive_timeout ${ARCHIVE_TIMEOUT_SECONDS} s): committed work at risk`,
    loadGenerator:
      'one single-event commit every ~10 ms; every 0.5 s, the time since the newest commit whose WAL segment ' +
      `pg_stat_archiver reports archived, over ${window} s`,
    concurrency: 1,
    poolSize: 1,
    warmup: 'three segments archived',
    rounds: typeof atRisk === 'string' ? 0 : atRisk.length,
    perRound: 'one sample',
    synchronousCommit: {},
    figures: [
      figure('closed WAL segment to repository', 's', 'lower', archiving, NO_PEER),
      figure('committed work at risk (samples)', 's', 'lower', atRisk, NO_PEER),
      figure(
        'committed work at risk (max)',
        's',
        'lower',
        typeof atRisk === 'string' ? atRisk : [Math.max(...atRisk)],
        NO_PEER,
      ),
    ],
  });
  return results;
}

/** No target: the issue asks for the figures, and the recovery point is bounded by archive_timeout by design. */
export function backupTargets(): TargetCheck[] {
  return [];
}
