import { sql } from 'slonik';
import { EventSchemas } from '../../avro/index.ts';
import { Upcasters } from '../../eventstore/index.ts';
import { loadTopology } from '../../messaging/index.ts';
import { env, loadConfig } from '../../platform/config/index.ts';
import { openDatabase } from '../../platform/database/index.ts';
import { option } from '../options.ts';
import {
  checkConsistency,
  DEFAULT_PAGE_SIZE,
  type Projection,
  projectionNamed,
  projections,
  type RebuildProgress,
  rebuildProjection,
  type Upcast,
} from '../../readmodels/index.ts';

const USAGE =
  'usage: eventline projections <list|status|verify <name>|rebuild <name> [--page-size <events>]>';

// A replay or a rebuild page may take long on a big event store. Not 0: slonik turns it into 1 ms.
const OWNER_STATEMENT_TIMEOUT_MS = 6 * 3_600_000;

async function asOwner<T>(fn: (pool: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const { ADMIN_DATABASE_URL } = loadConfig({ ADMIN_DATABASE_URL: env.ADMIN_DATABASE_URL });
  const pool = await openDatabase(ADMIN_DATABASE_URL, {
    maximumPoolSize: 2,
    statementTimeoutMs: OWNER_STATEMENT_TIMEOUT_MS,
  });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

async function upcaster(): Promise<Upcast> {
  const schemas = await EventSchemas.load();
  const upcasters = new Upcasters();
  return (type, version, data) => upcasters.upcast(type, version, data, schemas.current(type).version);
}

function describeProgress(progress: RebuildProgress): string {
  const share = progress.eventsTotal > 0 ? (100 * progress.eventsApplied) / progress.eventsTotal : 100;
  return `${progress.projection}: pass ${progress.pass}, ${progress.eventsApplied}/${progress.eventsTotal} events (${share.toFixed(1)}%)`;
}

async function showRebuilds(pool: Awaited<ReturnType<typeof openDatabase>>): Promise<void> {
  const rebuilds = (await pool.any(sql.unsafe`
    SELECT projection, state, pass, events_applied, events_total, started_at, updated_at, swapped_at
      FROM readmodels.rebuilds ORDER BY projection`)) as readonly {
    projection: string;
    state: string;
    pass: number;
    events_applied: number;
    events_total: number;
    started_at: number;
    updated_at: number;
    swapped_at: number | null;
  }[];
  for (const row of rebuilds) {
    const progress = describeProgress({
      projection: row.projection,
      pass: row.pass,
      eventsApplied: Number(row.events_applied),
      eventsTotal: Math.max(Number(row.events_total), Number(row.events_applied)),
    });
    const when =
      row.swapped_at === null
        ? `started ${new Date(row.started_at).toISOString()}, last page ${new Date(row.updated_at).toISOString()}`
        : `swapped in ${new Date(row.swapped_at).toISOString()}`;
    console.log(
      `rebuild ${row.state === 'building' ? 'building (resumable)' : row.state}\t${progress}\t${when}`,
    );
  }
}

function pageSize(args: readonly string[]): number {
  const given = option(args, '--page-size', USAGE);
  if (given === undefined) return DEFAULT_PAGE_SIZE;
  const size = Number(given);
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`--page-size must be a whole number ≥ 1; ${USAGE}`);
  return size;
}

/** Rebuilds one projection, printing progress at most once a second; Ctrl-C stops it between two pages. */
async function rebuild(projection: Projection, args: readonly string[]): Promise<void> {
  const size = pageSize(args);
  const upcast = await upcaster();
  const stop = new AbortController();
  const interrupt = () =>
    stop.abort(new Error(`${projection.name}: rebuild interrupted; run it again to resume`));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let printedAt = 0;
  try {
    const report = await asOwner((pool) =>
      rebuildProjection(pool, projection, {
        upcast,
        pageSize: size,
        signal: stop.signal,
        onProgress(progress) {
          if (Date.now() - printedAt < 1000) return;
          printedAt = Date.now();
          console.log(describeProgress(progress));
        },
      }),
    );
    console.log(`${describeProgress(report)}${report.resumed ? ' (resumed)' : ''}`);
    console.log(`${projection.name}: rebuilt and swapped in`);
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

/**
 * `eventline projections list` (the projections, their groups and sources),
 * `status` (each one's checkpoints and tenants tracked, and rebuilds),
 * `verify <name>` (the consistency check: the read model against a replay of
 * the event store; a difference exits non-zero) and `rebuild <name>` (new
 * tables built beside the live ones from the event store, then swapped in).
 */
export async function projectionsCommand(args: readonly string[]): Promise<void> {
  const [action, name] = args;
  if (action === 'list') {
    const { KAFKA_TOPIC_PREFIX } = loadConfig({ KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX });
    const topology = await loadTopology(KAFKA_TOPIC_PREFIX);
    for (const projection of projections) {
      const group =
        topology.consumerGroups.find((entry) => entry.projection === projection.name)?.group ?? '(none)';
      console.log(
        `${projection.name}\tgroup ${group}\tsources ${projection.sources.join(',')}\t` +
          `handles ${Object.keys(projection.handlers).join(',')}`,
      );
    }
    return;
  }
  if (action === 'status') {
    await asOwner(async (pool) => {
      const rows = (await pool.any(sql.unsafe`
        SELECT c.projection, c.topic, c.partition, c.next_offset, c.updated_at,
               (SELECT count(*) FROM readmodels.watermarks w WHERE w.projection = c.projection) AS tenants,
               (SELECT count(*) FROM readmodels.dead_letters d WHERE d.projection = c.projection) AS parked
          FROM readmodels.checkpoints c ORDER BY c.projection, c.topic, c.partition`)) as readonly {
        projection: string;
        topic: string;
        partition: number;
        next_offset: number;
        updated_at: number;
        tenants: number;
        parked: number;
      }[];
      if (rows.length === 0) console.log('no checkpoints yet: the projector has applied nothing');
      for (const row of rows) {
        console.log(
          `${row.projection}\t${row.topic}[${row.partition}]\tnext offset ${row.next_offset}\t` +
            `at ${new Date(row.updated_at).toISOString()}\ttenants ${row.tenants}\tparked ${row.parked}`,
        );
      }
      await showRebuilds(pool);
    });
    return;
  }
  if (action === 'rebuild' && name) {
    await rebuild(projectionNamed(name), args);
    return;
  }
  if (action === 'verify' && name) {
    const projection = projectionNamed(name);
    const upcast = await upcaster();
    const report = await asOwner((pool) => checkConsistency(pool, projection, upcast));
    for (const table of report.tables) {
      console.log(`${table.table}: ${table.missing} missing, ${table.unexpected} unexpected`);
      for (const sample of table.samples) console.log(`  ${JSON.stringify(sample)}`);
    }
    console.log(`${name}: ${report.eventsReplayed} events replayed`);
    if (!report.consistent) throw new Error(`${name} differs from a replay of the event store`);
    console.log(`${name}: consistent`);
    return;
  }
  throw new Error(USAGE);
}
