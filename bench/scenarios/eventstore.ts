/**
 * The event store's scenarios, each measured for ours and for Emmett's
 * PostgreSQL event store (@event-driven-io/emmett-postgresql) in this process,
 * against the same PostgreSQL server, each side in a database of its own that is
 * created for the scenario and dropped after it.
 */
import { randomUUID } from 'node:crypto';
import {
  getPostgreSQLEventStore,
  type PostgresEventStore as EmmettEventStore,
} from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import { type DatabasePool, sql } from 'slonik';
import type { EventSchemas } from '../../services/avro/index.ts';
import {
  type EventMetadata,
  PostgresEventStore,
  type StreamId,
  type StreamRef,
  Upcasters,
} from '../../services/eventstore/index.ts';
import { openDatabase } from '../../services/platform/database/index.ts';
import { type TenantId, tenantId } from '../../services/platform/tenancy/index.ts';
import { asAdmin, type BenchDatabase, createDatabase, type Endpoints } from '../lib/databases.ts';
import { CLOSED_LOOP, closedLoop, sequential } from '../lib/load.ts';
import { figure, NO_PEER, type ScenarioResult } from '../lib/report.ts';
import { median, percentiles } from '../lib/stats.ts';

export const PEER = 'Emmett (@event-driven-io/emmett-postgresql)';

// ---------------------------------------------------------------------------
// The events: shaped as schemas/orders/OrderPlaced.v1 and OrderItemAdded.v1,
// which ours validates; Emmett is given the very same objects.

interface BenchEvent {
  readonly type: 'OrderPlaced' | 'OrderItemAdded';
  readonly data: Record<string, unknown>;
}

const SKUS = 20;

/** The event at a stream version (1-based): an OrderPlaced first, OrderItemAdded after it. */
function eventAt(version: number): BenchEvent {
  if (version === 1) {
    return {
      type: 'OrderPlaced',
      data: {
        customerId: 'customer-42',
        currency: 'EUR',
        items: [{ sku: 'sku-0', quantity: 1, unitPrice: 9.99 }],
      },
    };
  }
  return {
    type: 'OrderItemAdded',
    data: { sku: `sku-${version % SKUS}`, quantity: 1 + (version % 5), unitPrice: 1.5 + (version % 7) },
  };
}

/** The events of versions from+1 … from+count. */
function eventsAfter(from: number, count: number): BenchEvent[] {
  return Array.from({ length: count }, (_, i) => eventAt(from + i + 1));
}

/** An order's state folded from its first `version` events: what a snapshot of it holds. */
function orderState(version: number): Record<string, unknown> {
  const lines: Record<string, { quantity: number; unitPrice: number }> = {};
  let total = 0;
  for (let v = 1; v <= version; v++) {
    const { data } = eventAt(v);
    const added = (v === 1 ? (data.items as Record<string, unknown>[]) : [data]) as {
      sku: string;
      quantity: number;
      unitPrice: number;
    }[];
    for (const line of added) {
      const held = lines[line.sku] ?? { quantity: 0, unitPrice: line.unitPrice };
      lines[line.sku] = { quantity: held.quantity + line.quantity, unitPrice: line.unitPrice };
      total += line.quantity * line.unitPrice;
    }
  }
  return { status: 'placed', customerId: 'customer-42', currency: 'EUR', lines, total };
}

const METADATA: EventMetadata = { correlationId: 'bench-correlation', causationId: 'bench-command' };

// ---------------------------------------------------------------------------
// The two sides, behind one shape.

interface Side {
  readonly name: 'ours' | 'peer';
  readonly database: BenchDatabase;
  /** What SHOW synchronous_commit answers in this side's sessions. */
  synchronousCommit(): Promise<string>;
  newStream(): string;
  /** Appends events to a stream at `expected` (0: the stream must not exist yet). */
  append(stream: string, expected: number, events: readonly BenchEvent[]): Promise<void>;
  /** Loads a stream as an aggregate would, and returns how many events it read. */
  load(stream: string, withSnapshot: boolean): Promise<{ events: number; snapshot: number | null }>;
  writeSnapshot?(stream: string, version: number): Promise<void>;
  close(): Promise<void>;
}

/** Ours: services/eventstore through the services' pool (openDatabase) as eventline_app, one tenant. */
async function openOurs(at: Endpoints, schemas: EventSchemas, poolSize: number): Promise<Side> {
  const database = await createDatabase(at, 'ours', { migrated: true });
  let pool: DatabasePool;
  try {
    pool = await openDatabase(database.appUrl, { maximumPoolSize: poolSize });
  } catch (error) {
    await database.drop();
    throw error;
  }
  const store = new PostgresEventStore(pool, schemas, new Upcasters());
  const tenant: TenantId = tenantId(randomUUID());
  const ref = (id: string): StreamRef => ({ id: id as StreamId, type: 'Order', context: 'orders' });
  return {
    name: 'ours',
    database,
    synchronousCommit: async () => String(await pool.oneFirst(sql.unsafe`SHOW synchronous_commit`)),
    newStream: () => randomUUID(),
    append: async (stream, expected, events) => {
      await store.appendToStream(
        tenant,
        ref(stream),
        expected === 0 ? 'no-stream' : expected,
        events,
        METADATA,
      );
    },
    load: async (stream, withSnapshot) => {
      const loaded = await store.loadStream(
        tenant,
        stream as StreamId,
        withSnapshot ? { stateVersion: 1 } : {},
      );
      return { events: loaded.events.length, snapshot: loaded.snapshot?.version ?? null };
    },
    writeSnapshot: (stream, version) =>
      store.writeSnapshot(tenant, { id: stream as StreamId, type: 'Order' }, version, 1, orderState(version)),
    close: async () => {
      await pool.end();
      await database.drop();
    },
  };
}

/**
 * Emmett: getPostgreSQLEventStore on a pg.Pool of the same size, in an empty
 * database of its own, as the database's owner (Emmett creates its schema, so it
 * needs to own it; it has no row-level security either way). Its schema is
 * created here, before any warm-up or measurement.
 */
async function openEmmett(at: Endpoints, poolSize: number): Promise<Side> {
  const database = await createDatabase(at, 'emmett', { migrated: false });
  const pool = new pg.Pool({ connectionString: database.adminUrl, max: poolSize });
  // DROP DATABASE … WITH (FORCE) ends idle connections; that is expected, not a crash.
  pool.on('error', () => {});
  let store: EmmettEventStore;
  try {
    store = getPostgreSQLEventStore(database.adminUrl, { connectionOptions: { pool } });
    await store.schema.migrate();
  } catch (error) {
    await pool.end().catch(() => {});
    await database.drop();
    throw error;
  }
  const metadata = { ...METADATA };
  return {
    name: 'peer',
    database,
    synchronousCommit: async () =>
      String(
        (await pool.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]
          ?.synchronous_commit,
      ),
    newStream: () => `order-${randomUUID()}`,
    append: async (stream, expected, events) => {
      await store.appendToStream(
        stream,
        events.map((event) => ({ type: event.type, data: event.data, metadata })),
        { expectedStreamVersion: BigInt(expected) },
      );
    },
    load: async (stream) => {
      const read = await store.readStream(stream);
      return { events: read.events.length, snapshot: null };
    },
    close: async () => {
      await store.close();
      await pool.end();
      await database.drop();
    },
  };
}

// ---------------------------------------------------------------------------
// Running both sides, alternately, and keeping each side's per-round figures.

/** A side and whether it failed: a failed side is left out of the rest of the scenario. */
interface Contender {
  readonly label: string;
  side: Side | null;
  failure: string | null;
}

function message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function open(label: string, opening: () => Promise<Side>, log: Log): Promise<Contender> {
  try {
    return { label, side: await opening(), failure: null };
  } catch (error) {
    log(`${label} could not start: ${message(error)}`);
    return { label, side: null, failure: `failed: ${message(error)}` };
  }
}

async function attempt(contender: Contender, log: Log, work: (side: Side) => Promise<void>): Promise<void> {
  if (!contender.side || contender.failure) return;
  try {
    await work(contender.side);
  } catch (error) {
    contender.failure = `failed: ${message(error)}`;
    log(`${contender.label} failed: ${message(error)}`);
  }
}

async function closeAll(contenders: readonly Contender[], log: Log): Promise<void> {
  for (const contender of contenders) {
    try {
      await contender.side?.close();
    } catch (error) {
      log(`${contender.label}: cleaning up failed: ${message(error)}`);
    }
  }
}

/** Ours first in even rounds, the peer first in odd ones: neither always runs on a warmer server. */
function inTurn<T>(round: number, pair: readonly [T, T]): readonly [T, T] {
  return round % 2 === 0 ? pair : [pair[1], pair[0]];
}

function valuesOr(contender: Contender, values: readonly number[]): readonly number[] | string {
  return contender.failure ?? values;
}

async function durability(contenders: readonly Contender[]): Promise<Record<string, string>> {
  const settings: Record<string, string> = {};
  for (const contender of contenders) {
    if (!contender.side) continue;
    const setting = await contender.side.synchronousCommit();
    settings[contender.label] = setting;
    if (setting !== 'on')
      throw new Error(`synchronous_commit is ${setting} for ${contender.label}: not durable`);
  }
  return settings;
}

export type Log = (line: string) => void;

export interface EventStoreBenchOptions {
  readonly quick: boolean;
  readonly endpoints: Endpoints;
  readonly schemas: EventSchemas;
  readonly log: Log;
}

interface AppendSpec {
  readonly id: string;
  readonly title: string;
  readonly concurrency: number;
  /** Events per append. */
  readonly batch: number;
  /** Events per stream: a worker moves to a new stream when its stream has this many. */
  readonly streamLength: number;
  /** How long each side appends per round, and in its warm-up. */
  readonly roundMs: number;
  readonly warmupMs: number;
  readonly rounds: number;
}

function appendSpecs(quick: boolean): AppendSpec[] {
  const spec = (concurrency: number, batch: number): AppendSpec => ({
    id: `append-${batch}-c${concurrency}`,
    title: `append ${batch === 1 ? '1 event' : `${batch}-event batches`}, c=${concurrency}`,
    concurrency,
    batch,
    streamLength: batch === 1 ? 10 : 5 * batch,
    roundMs: quick ? 1_000 : 5_000,
    warmupMs: quick ? 500 : 2_000,
    rounds: quick ? 3 : 5,
  });
  return [spec(1, 1), spec(8, 1), spec(64, 1), spec(8, 10)];
}

async function appendScenario(spec: AppendSpec, options: EventStoreBenchOptions): Promise<ScenarioResult> {
  const { log } = options;
  const poolSize = Math.max(spec.concurrency, 10);
  // Each worker appends to streams of its own, always with the right expected version.
  const plan = Array.from({ length: spec.streamLength / spec.batch }, (_, k) =>
    eventsAfter(k * spec.batch, spec.batch),
  );
  const round = (side: Side, durationMs: number) =>
    closedLoop(spec.concurrency, durationMs, () => {
      let stream = side.newStream();
      let step = 0;
      return async () => {
        await side.append(stream, step * spec.batch, plan[step] ?? []);
        step += 1;
        if (step === plan.length) {
          stream = side.newStream();
          step = 0;
        }
      };
    });

  const ours = await open('ours', () => openOurs(options.endpoints, options.schemas, poolSize), log);
  const peer = await open('Emmett', () => openEmmett(options.endpoints, poolSize), log);
  const contenders = [ours, peer] as const;
  const perSecond = new Map<Contender, number[]>(contenders.map((c) => [c, []]));
  const p50 = new Map<Contender, number[]>(contenders.map((c) => [c, []]));
  const p99 = new Map<Contender, number[]>(contenders.map((c) => [c, []]));
  let synchronousCommit: Record<string, string> = {};
  try {
    synchronousCommit = await durability(contenders);
    for (const contender of contenders) {
      await attempt(contender, log, async (side) => {
        await round(side, spec.warmupMs);
        // Statistics, as a database in service has: a new one's sessions keep the plans they made
        // in its first few hundred rows, where every index that leads with the tenant ties with
        // the one on event ids (docs/performance.md, "the event store's first minute").
        await asAdmin(side.database.adminUrl, 'ANALYZE');
      });
    }
    for (let r = 0; r < spec.rounds; r++) {
      for (const contender of inTurn(r, contenders)) {
        await attempt(contender, log, async (side) => {
          const result = await round(side, spec.roundMs);
          const { p50: median50, p99: tail } = percentiles(result.latenciesMs);
          const rate = result.operations / (result.elapsedMs / 1000);
          perSecond.get(contender)?.push(rate);
          p50.get(contender)?.push(median50);
          p99.get(contender)?.push(tail);
          log(
            `${spec.id} round ${r + 1}/${spec.rounds} ${contender.label}: ${rate.toFixed(0)} appends/s, ` +
              `p50 ${median50.toFixed(2)} ms, p99 ${tail.toFixed(2)} ms`,
          );
        });
      }
    }
  } finally {
    await closeAll(contenders, log);
  }

  const values = (map: Map<Contender, number[]>, c: Contender) => valuesOr(c, map.get(c) ?? []);
  const scale = (c: Contender, factor: number) =>
    typeof values(perSecond, c) === 'string'
      ? values(perSecond, c)
      : (perSecond.get(c) ?? []).map((v) => v * factor);
  const throughput =
    spec.batch === 1
      ? [figure('throughput', 'appends/s', 'higher', values(perSecond, ours), values(perSecond, peer))]
      : [
          figure('throughput', 'events/s', 'higher', scale(ours, spec.batch), scale(peer, spec.batch)),
          figure('append rate', 'appends/s', 'higher', values(perSecond, ours), values(perSecond, peer)),
        ];
  return {
    id: spec.id,
    title: spec.title,
    loadGenerator: CLOSED_LOOP.replace('<c>', String(spec.concurrency)),
    concurrency: spec.concurrency,
    poolSize,
    warmup: `${spec.warmupMs / 1000} s of the same load per side before the rounds, not measured, then ANALYZE of each side's database (Emmett's schema is created before it)`,
    rounds: spec.rounds,
    perRound:
      `${spec.roundMs / 1000} s of appends of ${spec.batch} event(s) per side, sides alternating, the first side ` +
      `alternating by round; streams of ${spec.streamLength} events, ` +
      `each worker on its own streams with the right expected version; one tenant (ours)`,
    synchronousCommit,
    figures: [
      ...throughput,
      figure('p50 latency', 'ms/append', 'lower', values(p50, ours), values(p50, peer)),
      figure('p99 latency', 'ms/append', 'lower', values(p99, ours), values(p99, peer)),
    ],
  };
}

/** Where an n-event stream's snapshot is: the last-but-one multiple of 100 up to n (900 of 1,000), or none. */
export function snapshotVersion(events: number): number | null {
  const at = Math.floor(events / 100) * 100 - 100;
  return at > 0 ? at : null;
}

async function loadScenario(options: EventStoreBenchOptions): Promise<ScenarioResult> {
  const { log, quick } = options;
  const sizes = [10, 1_000, 10_000] as const;
  const rounds = quick ? 3 : 5;
  // Each variant loads a stream again and again for this long per round (at least `atLeast` times).
  const roundMs = quick ? 250 : 1_500;
  const warmupMs = quick ? 200 : 500;
  const atLeast = quick ? 2 : 3;
  const poolSize = 10;

  const ours = await open('ours', () => openOurs(options.endpoints, options.schemas, poolSize), log);
  const peer = await open('Emmett', () => openEmmett(options.endpoints, poolSize), log);
  const contenders = [ours, peer] as const;
  const streams = new Map<Contender, Map<number, string>>(contenders.map((c) => [c, new Map()]));
  type Variant = 'ours' | 'ours+snapshot' | 'peer';
  const results = new Map<string, number[]>();
  const key = (variant: Variant, size: number) => `${variant}/${size}`;
  let synchronousCommit: Record<string, string> = {};
  try {
    synchronousCommit = await durability(contenders);
    // Set-up, not measured: one stream of each size per side, appended 100 events at a time.
    for (const contender of contenders) {
      await attempt(contender, log, async (side) => {
        for (const size of sizes) {
          const stream = side.newStream();
          for (let from = 0; from < size; from += 100) {
            await side.append(stream, from, eventsAfter(from, Math.min(100, size - from)));
          }
          const at = snapshotVersion(size);
          if (at !== null && side.writeSnapshot) await side.writeSnapshot(stream, at);
          streams.get(contender)?.set(size, stream);
        }
      });
    }
    const variants: readonly { variant: Variant; contender: Contender; snapshot: boolean }[] = [
      { variant: 'ours', contender: ours, snapshot: false },
      { variant: 'ours+snapshot', contender: ours, snapshot: true },
      { variant: 'peer', contender: peer, snapshot: false },
    ];
    const loadOnce = async (side: Side, stream: string, size: number, snapshot: boolean) => {
      const loaded = await side.load(stream, snapshot);
      const from = snapshot ? (snapshotVersion(size) ?? 0) : 0;
      if (loaded.events !== size - from || (snapshot && loaded.snapshot !== snapshotVersion(size))) {
        throw new Error(`loading ${size} events read ${loaded.events} events, snapshot ${loaded.snapshot}`);
      }
    };
    for (const { contender, snapshot } of variants) {
      await attempt(contender, log, async (side) => {
        for (const size of sizes) {
          const stream = streams.get(contender)?.get(size) ?? '';
          await sequential(warmupMs, 1, () => loadOnce(side, stream, size, snapshot));
        }
      });
    }
    for (let r = 0; r < rounds; r++) {
      for (const size of sizes) {
        const order = [...variants.slice(r % variants.length), ...variants.slice(0, r % variants.length)];
        for (const { variant, contender, snapshot } of order) {
          await attempt(contender, log, async (side) => {
            const stream = streams.get(contender)?.get(size) ?? '';
            const latencies = await sequential(roundMs, atLeast, () =>
              loadOnce(side, stream, size, snapshot),
            );
            const ms = median(latencies);
            results.set(key(variant, size), [...(results.get(key(variant, size)) ?? []), ms]);
            log(`load round ${r + 1}/${rounds} ${variant} ${size} events: ${ms.toFixed(2)} ms`);
          });
        }
      }
    }
  } finally {
    await closeAll(contenders, log);
  }

  const values = (variant: Variant, contender: Contender, size: number) =>
    valuesOr(contender, results.get(key(variant, size)) ?? []);
  return {
    id: 'load',
    title: 'load stream',
    loadGenerator: 'sequential loads in the benchmark process (concurrency 1)',
    concurrency: 1,
    poolSize,
    warmup: `${warmupMs / 1000} s of loads per variant and stream, not measured`,
    rounds,
    perRound:
      `each variant loads each stream one load after another for ${roundMs / 1000} s (at least ${atLeast} loads), ` +
      'variants in rotating order; figure: the median load of the round. Ours: loadStream without a snapshot, and with stateVersion 1 and ' +
      'a snapshot at the last-but-one multiple of 100 (900, 9900; none for 10 events, so the lookup finds none). ' +
      'Emmett: readStream (it has no snapshots)',
    synchronousCommit,
    figures: sizes.flatMap((size) => [
      figure(`${size} events`, 'ms/load', 'lower', values('ours', ours, size), values('peer', peer, size)),
      figure(
        `${size} events, with snapshot${snapshotVersion(size) === null ? ' (none yet)' : ` at ${snapshotVersion(size)}`}`,
        'ms/load',
        'lower',
        values('ours+snapshot', ours, size),
        NO_PEER,
      ),
    ]),
  };
}

/** Every event store scenario, one after the other, each in fresh databases. */
export async function eventStoreScenarios(options: EventStoreBenchOptions): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const spec of appendSpecs(options.quick)) {
    options.log(`scenario ${spec.id}`);
    results.push(await appendScenario(spec, options));
  }
  options.log('scenario load');
  results.push(await loadScenario(options));
  return results;
}
