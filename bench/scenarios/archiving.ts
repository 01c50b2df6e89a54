/**
 * Hot and cold events (issue 21, part 4): appends and loads on the events
 * table partitioned into events_hot and events_cold (migration 0027) against
 * the same table built the old way, unpartitioned (0003 and 0021, without
 * 0027's trigger on streams), both in the same run, rounds alternating; and
 * how fast `eventline events archive` moves closed streams to events_cold.
 * Each side is a database of its own, seeded with the same streams by
 * INSERT … SELECT generate_series; half of the partitioned side's streams are
 * archived before the loads, so its loads read both partitions.
 */
import { randomUUID } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import type { EventSchemas } from '../../services/avro/index.ts';
import {
  archiveIdleStreams,
  PostgresEventStore,
  type StreamId,
  type StreamRef,
  Upcasters,
} from '../../services/eventstore/index.ts';
import { openDatabase } from '../../services/platform/database/index.ts';
import { type TenantId, tenantId } from '../../services/platform/tenancy/index.ts';
import { asAdmin, type BenchDatabase, createDatabase, type Endpoints } from '../lib/databases.ts';
import { CLOSED_LOOP, closedLoop } from '../lib/load.ts';
import { figure, NO_PEER, type ScenarioResult, type TargetCheck } from '../lib/report.ts';
import { seedOrders } from './projector-rebuild.ts';

const EVENTS_PER_STREAM = 10;
const TENANT = 'a7c3e0f2-0000-4000-8000-000000000021';

/** The events table as migrations 0003 and 0021 left it, in place of 0027's partitioned one. */
const UNPARTITIONED = `
  DROP TRIGGER streams_unarchive_on_append ON streams;
  DROP TABLE events CASCADE;
  CREATE TABLE events (
    global_position bigint GENERATED ALWAYS AS IDENTITY,
    tenant_id uuid NOT NULL, stream_id uuid NOT NULL, stream_type text NOT NULL,
    stream_version integer NOT NULL CHECK (stream_version > 0), event_id uuid NOT NULL, event_type text NOT NULL,
    schema_version integer NOT NULL CHECK (schema_version > 0), data jsonb NOT NULL, metadata jsonb NOT NULL,
    correlation_id text, causation_id text, occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(), transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    -- Always false here: a creation's look for its first event id among archived events (0036)
    -- names it, and that one probe stands for the look of the append before 0036 on the old table.
    archived boolean NOT NULL DEFAULT false,
    CONSTRAINT events_pkey PRIMARY KEY (global_position, tenant_id),
    CONSTRAINT events_stream_version_unique UNIQUE (tenant_id, stream_id, stream_version),
    CONSTRAINT events_event_id_unique UNIQUE (event_id, tenant_id)
  );
  CREATE INDEX events_commit_order ON events (transaction_id, global_position);
  CREATE INDEX events_tenant_commit_order ON events (tenant_id, transaction_id, global_position);
  CREATE INDEX events_correlation ON events (tenant_id, correlation_id, global_position)
    WHERE correlation_id IS NOT NULL;
  CREATE TRIGGER events_are_append_only_rows BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
  CREATE TRIGGER events_are_append_only_table BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
  ALTER TABLE events ENABLE ROW LEVEL SECURITY;
  CREATE POLICY tenant_isolation ON events
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
  GRANT SELECT, INSERT ON events TO eventline_service`;

/** `streams` streams of EVENTS_PER_STREAM events in one tenant, with their streams rows. */
function seed(streams: number): string {
  return `
    ${seedOrders(0, streams - 1, {
      eventsPerOrder: EVENTS_PER_STREAM,
      tenantId: TENANT,
      occurredAt: `now() - interval '2 days'`,
    })};
    INSERT INTO streams (tenant_id, stream_id, stream_type, version, created_at, updated_at)
    SELECT tenant_id, stream_id, 'Order', max(stream_version), now() - interval '2 days',
           -- The even streams closed two days ago, the odd ones written to just now.
           CASE WHEN (row_number() OVER (ORDER BY stream_id)) % 2 = 0 THEN now() - interval '2 days' ELSE now() END
      FROM events GROUP BY tenant_id, stream_id`;
}

interface Side {
  readonly database: BenchDatabase;
  readonly pool: DatabasePool;
  readonly store: PostgresEventStore;
  /** The seeded streams: the archived ones (the partitioned side's even streams) and the others. */
  readonly closed: StreamId[];
  readonly open: StreamId[];
}

async function openSide(
  at: Endpoints,
  schemas: EventSchemas,
  name: string,
  streams: number,
  unpartitioned: boolean,
): Promise<Side> {
  const database = await createDatabase(at, name, { migrated: true });
  try {
    if (unpartitioned) await asAdmin(database.adminUrl, UNPARTITIONED);
    await asAdmin(database.adminUrl, seed(streams));
    await asAdmin(database.adminUrl, 'VACUUM ANALYZE events');
    await asAdmin(database.adminUrl, 'VACUUM ANALYZE streams');
    const rows = await asAdmin<{ stream_id: string; closed: boolean }>(
      database.adminUrl,
      `SELECT stream_id, updated_at < now() - interval '1 day' AS closed FROM streams`,
    );
    const pool = await openDatabase(database.appUrl, { maximumPoolSize: 16 });
    return {
      database,
      pool,
      store: new PostgresEventStore(pool, schemas, new Upcasters()),
      closed: rows.filter((row) => row.closed).map((row) => row.stream_id as StreamId),
      open: rows.filter((row) => !row.closed).map((row) => row.stream_id as StreamId),
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

async function closeSide(side: Side | undefined): Promise<void> {
  if (!side) return;
  await side.store.close();
  await side.pool.end();
  await side.database.drop();
}

const METADATA = { correlationId: 'bench-correlation', causationId: 'bench-command' };
const PLACED = {
  customerId: 'customer-42',
  currency: 'EUR',
  items: [{ sku: 'sku-0', quantity: 1, unitPrice: 9.99 }],
};

/** One append of one event to the worker's own new streams of EVENTS_PER_STREAM events. */
function appender(side: Side, tenant: TenantId): () => Promise<void> {
  let stream: StreamRef = { id: randomUUID() as StreamId, type: 'Order', context: 'orders' };
  let version = 0;
  return async () => {
    const data = version === 0 ? PLACED : { sku: 'sku-1', quantity: 1, unitPrice: 2.5 };
    await side.store.appendToStream(
      tenant,
      stream,
      version === 0 ? 'no-stream' : version,
      [{ type: version === 0 ? 'OrderPlaced' : 'OrderItemAdded', data }],
      METADATA,
    );
    version += 1;
    if (version === EVENTS_PER_STREAM) {
      stream = { id: randomUUID() as StreamId, type: 'Order', context: 'orders' };
      version = 0;
    }
  };
}

/** One load of a random stream of `streams`. */
function loader(side: Side, tenant: TenantId, streams: readonly StreamId[]): () => Promise<void> {
  return async () => {
    const stream = streams[Math.floor(Math.random() * streams.length)] as StreamId;
    const loaded = await side.store.loadStream(tenant, stream);
    if (loaded.events.length !== EVENTS_PER_STREAM) throw new Error(`loaded ${loaded.events.length} events`);
  };
}

export async function archivingScenarios(options: {
  readonly quick: boolean;
  readonly endpoints: Endpoints;
  readonly schemas: EventSchemas;
  readonly log: (line: string) => void;
}): Promise<ScenarioResult[]> {
  const { quick, log } = options;
  const streams = quick ? 2_000 : 20_000;
  const rounds = quick ? 3 : 5;
  const roundMs = quick ? 1_000 : 4_000;
  const tenant = tenantId(TENANT);
  const measured = {
    appendC1: [[], []] as number[][],
    appendC16: [[], []] as number[][],
    loadOpen: [[], []] as number[][],
    loadClosed: [[], []] as number[][],
  };
  let archiveRate: number[] | string = [];
  let failure: string | undefined;
  let partitioned: Side | undefined;
  let unpartitioned: Side | undefined;
  try {
    log(`archiving: seeding ${streams * EVENTS_PER_STREAM} events into each side`);
    partitioned = await openSide(options.endpoints, options.schemas, 'hotcold', streams, false);
    unpartitioned = await openSide(options.endpoints, options.schemas, 'unpartitioned', streams, true);
    const owner = await openDatabase(partitioned.database.adminUrl, { maximumPoolSize: 2 });
    try {
      const started = process.hrtime.bigint();
      const report = await archiveIdleStreams(owner, { idleSeconds: 86_400 });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      archiveRate = [report.events / seconds];
      log(
        `archiving: ${report.streams} streams, ${report.events} events archived in ${seconds.toFixed(2)} s`,
      );
    } finally {
      await owner.end();
    }
    await asAdmin(partitioned.database.adminUrl, 'VACUUM ANALYZE events');
    const sides = [partitioned, unpartitioned] as const;
    const work = [
      ['appendC1', 1, (side: Side) => appender(side, tenant)],
      ['appendC16', 16, (side: Side) => appender(side, tenant)],
      ['loadOpen', 4, (side: Side) => loader(side, tenant, side.open)],
      ['loadClosed', 4, (side: Side) => loader(side, tenant, side.closed)],
    ] as const;
    for (const [key, concurrency, operation] of work) {
      for (const side of sides) await closedLoop(concurrency, roundMs / 2, () => operation(side));
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? [0, 1] : [1, 0];
        for (const index of order) {
          const side = sides[index as 0 | 1];
          const result = await closedLoop(concurrency, roundMs, () => operation(side));
          const rate = result.operations / (result.elapsedMs / 1000);
          measured[key][index]?.push(rate);
          log(
            `archiving ${key} round ${r + 1}/${rounds} ${index === 0 ? 'partitioned' : 'unpartitioned'}: ${rate.toFixed(0)}/s`,
          );
        }
      }
    }
  } catch (error) {
    failure = `failed: ${error instanceof Error ? error.message : String(error)}`;
    log(`archiving ${failure}`);
  } finally {
    await closeSide(partitioned);
    await closeSide(unpartitioned);
  }
  const values = (series: number[]) => failure ?? series;
  const pair = (name: string, unit: string, series: number[][]) =>
    figure(name, unit, 'higher', values(series[0] ?? []), values(series[1] ?? []));
  const common = {
    warmup: `${roundMs / 2000} s of the same load per side before each figure's rounds, not measured`,
    rounds,
    perRound:
      `${roundMs / 1000} s per side, sides alternating, the first side alternating by round; ` +
      `${streams} seeded streams of ${EVENTS_PER_STREAM} events per side, one tenant; ` +
      'ours = partitioned (half the seeded streams in events_cold), peer column = unpartitioned (the old table)',
    synchronousCommit: {},
  };
  return [
    {
      id: 'archiving-append',
      title: 'append 1 event, partitioned events against unpartitioned',
      loadGenerator: CLOSED_LOOP.replace('<c>', '1 and 16'),
      concurrency: 16,
      poolSize: 16,
      ...common,
      figures: [
        pair('appends/s, c=1', 'appends/s', measured.appendC1),
        pair('appends/s, c=16', 'appends/s', measured.appendC16),
      ],
    },
    {
      id: 'archiving-load',
      title: 'load a 10-event stream, partitioned events against unpartitioned',
      loadGenerator: CLOSED_LOOP.replace('<c>', '4'),
      concurrency: 4,
      poolSize: 16,
      ...common,
      figures: [
        pair('loads/s, a hot stream', 'loads/s', measured.loadOpen),
        pair('loads/s, an archived stream', 'loads/s', measured.loadClosed),
      ],
    },
    {
      id: 'archiving-archive',
      title: `eventline events archive of ${streams / 2} closed streams (${(streams / 2) * EVENTS_PER_STREAM} events)`,
      loadGenerator: 'archiveIdleStreams as the CLI runs it, as the owner: one transaction per stream',
      concurrency: 1,
      poolSize: 2,
      warmup: 'none',
      rounds: 1,
      perRound: `${(streams / 2) * EVENTS_PER_STREAM} events`,
      synchronousCommit: {},
      figures: [figure('archive rate', 'events/s', 'higher', failure ?? archiveRate, NO_PEER)],
    },
  ];
}

/** The issue's target: appends and loads with the partitioning no more than 5 % slower than without. */
export function archivingTargets(scenarios: readonly ScenarioResult[]): TargetCheck[] {
  return scenarios
    .filter((scenario) => scenario.id === 'archiving-append' || scenario.id === 'archiving-load')
    .flatMap((scenario) => scenario.figures)
    .map((f) => ({
      target: `${f.name}: partitioned ≥ 0.95 × unpartitioned`,
      met: f.ratio === null ? null : f.ratio >= 0.95,
      detail:
        f.ratio === null ? 'not measured on both sides' : `partitioned/unpartitioned = ${f.ratio.toFixed(3)}`,
    }));
}
