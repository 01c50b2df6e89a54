/**
 * The projector's catch-up (issue 6): how fast it applies a Kafka backlog, and
 * its memory. The backlog is written to the event store (so the projector finds
 * each event's transaction id, as in production), then produced straight onto a
 * topic prefix of the scenario's own with the relay's codec and record layout
 * (Avro through the registry, docs/contracts.md §8 headers, tenant key), not through the
 * relay, so the relay's speed does not count. The projector runs as its own
 * process (dist/services/projector/main.js, every projection topology/ declares)
 * and is timed from answering /health until every projection's checkpoint of
 * every partition reaches the partition's end.
 */
import { NoopPolicy } from 'cockatiel';
import { type Admin, Kafka, logLevel, type Message, Partitioners } from 'kafkajs';
import pg from 'pg';
import type { EventSchemas } from '../../services/avro/index.ts';
import { applyTopology, EventCodec, loadTopology, schemaRegistry } from '../../services/messaging/index.ts';
import { asAdmin, createDatabase, type Endpoints, withDatabase } from '../lib/databases.ts';
import { figure, NO_PEER, type ScenarioResult, type TargetCheck } from '../lib/report.ts';
import { chartMemoryLimit, MemoryLimit } from '../lib/memory-limit.ts';
import { type Launch, poolSizesAt, type ServiceProcess, startService } from '../lib/pipeline.ts';
import { recordOfStoredEvent, STORED_EVENT_COLUMNS, type StoredEventRow } from '../lib/stored-events.ts';
import { freePort, saslSslKafkaEnv, sleep, stackSetting } from '../lib/stack.ts';

export interface StackEndpoints {
  readonly projectorDatabaseUrl: string;
  readonly kafkaBrokers: string;
  readonly schemaRegistryUrl: string;
}

export function stackEndpoints(): StackEndpoints {
  return {
    projectorDatabaseUrl: stackSetting('PROJECTOR_DATABASE_URL'),
    kafkaBrokers: stackSetting('KAFKA_BROKERS'),
    schemaRegistryUrl: stackSetting('SCHEMA_REGISTRY_URL'),
  };
}

export async function until(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 100,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** The projector as its own process, as operators run it, on a scenario's database and topic prefix. */
export async function startProjector(
  databaseUrl: string,
  prefix: string,
  at: StackEndpoints,
  kafkaEnv: Record<string, string>,
  launch?: Launch,
): Promise<ServiceProcess> {
  const port = await freePort();
  return startService(
    'projector',
    {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: at.kafkaBrokers,
      SCHEMA_REGISTRY_URL: at.schemaRegistryUrl,
      KAFKA_TOPIC_PREFIX: prefix,
      PROJECTOR_PORT: String(port),
      ...kafkaEnv,
    },
    port,
    process.env.BENCH_PROJECTOR_CPU_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROJECTOR_CPU_PROF}`]
      : [],
    launch,
  );
}

/**
 * Per tenant, orders of five events each (placed, two items added, shipped,
 * delivered), straight into the events table in one transaction, as appends would.
 */
export async function seedEvents(adminUrl: string, tenants: number, perTenant: number): Promise<number> {
  const orders = Math.max(1, Math.floor(perTenant / 5));
  await asAdmin(
    adminUrl,
    `INSERT INTO events (tenant_id, stream_id, stream_type, stream_version, event_id, event_type, schema_version,
                         data, metadata, correlation_id, causation_id, occurred_at)
     SELECT t.tenant, o.stream, 'Order', v, gen_random_uuid(),
            (ARRAY['OrderPlaced','OrderItemAdded','OrderItemAdded','OrderShipped','OrderDelivered'])[v], 1,
            (ARRAY['{"customerId":"c-' || (o.n % 7) || '","currency":"EUR","items":[{"sku":"s0","quantity":1,"unitPrice":9.99}]}',
                   '{"sku":"s1","quantity":2,"unitPrice":3.5}', '{"sku":"s2","quantity":1,"unitPrice":1.25}',
                   '{"trackingNumber":"tr-' || o.n || '"}', '{}'])[v]::jsonb,
            '{"correlationId":"bench","causationId":"bench"}'::jsonb, 'bench', 'bench', now()
       FROM (SELECT gen_random_uuid() AS tenant FROM generate_series(1, ${tenants})) t,
            LATERAL (SELECT n, gen_random_uuid() AS stream FROM generate_series(1, ${orders}) n
                      WHERE t.tenant IS NOT NULL) o,
            generate_series(1, 5) v
      ORDER BY t.tenant, o.n, v`,
  );
  const [row] = await asAdmin<{ n: string }>(adminUrl, 'SELECT count(*) AS n FROM events');
  return Number(row?.n ?? 0);
}

/**
 * The stored events past position `after`, at most `limit` of them in
 * position order, as the relay would publish them: same codec, same record.
 */
export async function storedRecords(
  adminUrl: string,
  codec: EventCodec,
  topic: string,
  after: number,
  limit: number,
): Promise<Message[]> {
  const rows = await asAdmin<StoredEventRow>(
    adminUrl,
    `SELECT ${STORED_EVENT_COLUMNS}
       FROM events e WHERE e.global_position > ${after} ORDER BY e.global_position LIMIT ${limit}`,
  );
  const messages: Message[] = [];
  for (const row of rows) {
    messages.push(
      recordOfStoredEvent(row, await codec.encode(topic, row.event_type, row.schema_version, row.data)),
    );
  }
  return messages;
}

/** The position a record of storedRecords carries (its global-position header). */
export function positionOf(message: Message): number {
  return Number(message.headers?.['global-position']);
}

/** The events up to position `upTo` (all of them when absent) onto `topic`, as the relay would publish them. */
export async function produceBacklog(
  adminUrl: string,
  kafka: Kafka,
  codec: EventCodec,
  topic: string,
  log: (line: string) => void,
  upTo = Number.POSITIVE_INFINITY,
): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  let produced = 0;
  try {
    for (let after = 0; ;) {
      const messages = (await storedRecords(adminUrl, codec, topic, after, 10_000)).filter(
        (message) => positionOf(message) <= upTo,
      );
      if (messages.length === 0) break;
      for (let from = 0; from < messages.length; from += 2_000) {
        await producer.send({ topic, acks: -1, messages: messages.slice(from, from + 2_000) });
      }
      produced += messages.length;
      after = positionOf(messages.at(-1) as Message);
      if (produced % 50_000 < messages.length) log(`${topic}: produced ${produced}`);
    }
  } finally {
    await producer.disconnect();
  }
  return produced;
}

/** The ends of a topic's partitions (the offset after each one's newest record). */
export async function partitionEnds(
  admin: Admin,
  topic: string,
): Promise<{ partition: number; end: number }[]> {
  return (await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => ({
    partition,
    end: Number(high),
  }));
}

/** A statement's rows, as the database's owner. */
export type AdminRead = <T extends pg.QueryResultRow>(text: string) => Promise<T[]>;

/** Whether every reader's checkpoint of every partition of the topic is at the partition's end. */
export async function checkpointsAtEnds(
  read: AdminRead,
  topic: string,
  readers: readonly string[],
  ends: readonly { partition: number; end: number }[],
): Promise<boolean> {
  const rows = await read<{ projection: string; partition: number; next_offset: string }>(
    `SELECT projection, partition, next_offset FROM readmodels.checkpoints WHERE topic = '${topic}'`,
  );
  const reached = new Map(rows.map((row) => [`${row.projection}:${row.partition}`, Number(row.next_offset)]));
  return readers.every((projection) =>
    ends.every(({ partition, end }) => end === 0 || reached.get(`${projection}:${partition}`) === end),
  );
}

interface CatchUp {
  readonly rate: number[] | string;
  readonly rss: number[] | string;
  readonly fileRss: number[] | string;
  /** The memory cgroup's own peak, when the run had one. */
  readonly cgroupPeak: number[] | string;
  readonly backlog: number;
  readonly readers: readonly string[];
  /** The projector process's pools, from its /metrics. */
  readonly pools: Readonly<Record<string, number>>;
}

/**
 * One catch-up on a database and topic prefix of its own: the backlog produced
 * over the plaintext listener, then the projector started with `projectorKafkaEnv`
 * (plaintext when empty), in `limit`'s memory cgroup when given, and timed
 * until it has applied all of it.
 */
async function catchUp(
  options: {
    readonly endpoints: Endpoints;
    readonly schemas: EventSchemas;
    readonly log: (line: string) => void;
  },
  at: StackEndpoints,
  label: string,
  tenants: number,
  perTenant: number,
  projectorKafkaEnv: Record<string, string>,
  limit?: MemoryLimit,
): Promise<CatchUp> {
  const { log } = options;
  const database = await createDatabase(options.endpoints, `projector_${label}`, { migrated: true });
  const prefix = `bench_${label}_${Date.now().toString(36)}.`;
  const kafka = new Kafka({
    brokers: at.kafkaBrokers.split(','),
    clientId: 'bench',
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const topology = await loadTopology(prefix);
  const topic = topology.eventTopics.get('orders')?.topic ?? `${prefix}orders.events`;
  // The projections reading the orders topic: each applies the whole backlog.
  const readers = topology.consumerGroups
    .map(({ projection }) => projection)
    .filter((projection) => projection !== 'tenants');
  let rate: number[] | string = [];
  let rss: number[] | string = [];
  let fileRss: number[] | string = [];
  let cgroupPeak: number[] | string = [];
  let pools: Record<string, number> = {};
  let backlog = 0;
  try {
    await applyTopology(admin, topology);
    await seedEvents(database.adminUrl, tenants, perTenant);
    const codec = new EventCodec(
      schemaRegistry({ url: at.schemaRegistryUrl }),
      options.schemas,
      new NoopPolicy(),
    );
    backlog = await produceBacklog(database.adminUrl, kafka, codec, topic, log);
    const ends = await partitionEnds(admin, topic);
    log(`${label}: ${backlog} events on ${topic}; starting the projector (${readers.join(', ')})`);
    const projector = await startProjector(
      withDatabase(at.projectorDatabaseUrl, database.name),
      prefix,
      at,
      projectorKafkaEnv,
      limit && ((command, args) => limit.wrap(command, args)),
    );
    // Polled every 50 ms on one connection: the end is known within 50 ms (it was 250, 2-3 % of a
    // 10 s catch-up), and no connection per poll loads the database being measured.
    const watcher = new pg.Client({ connectionString: database.adminUrl });
    await watcher.connect();
    const started = process.hrtime.bigint();
    try {
      await until(
        'every checkpoint at its partition end',
        () => checkpointsAtEnds(async (text) => (await watcher.query(text)).rows, topic, readers, ends),
        900_000,
        50,
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      rate = [backlog / seconds];
      pools = await poolSizesAt(`http://127.0.0.1:${projector.port}`);
      const usage = projector.usage();
      rss = [usage.peakRssBytes / 2 ** 20];
      fileRss = [usage.fileRssBytes / 2 ** 20];
      if (limit) cgroupPeak = [limit.peakBytes() / 2 ** 20];
      log(
        `${label}: ${backlog} events × ${readers.length} projections in ${seconds.toFixed(1)} s ` +
          `(${Math.round(backlog / seconds)} events/s), peak RSS ${(rss[0] ?? 0).toFixed(0)} MiB ` +
          `(file-backed ${(fileRss[0] ?? 0).toFixed(0)}), projector CPU ${usage.cpuSeconds.toFixed(1)} s` +
          (limit ? `, cgroup peak ${(cgroupPeak[0] ?? 0).toFixed(0)} MiB of ${limit.bytes / 2 ** 20}` : ''),
      );
    } finally {
      await watcher.end();
      await projector.stop();
    }
  } catch (error) {
    rate = rss = fileRss = cgroupPeak = `failed: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    await admin
      .deleteTopics({
        topics: [...topology.eventTopics.values(), ...topology.deadLetterTopics].map((t) => t.topic),
      })
      .catch(() => undefined);
    await admin.disconnect();
    await database.drop();
  }
  return { rate, rss, fileRss, cgroupPeak, backlog, readers, pools };
}

/** A catch-up without figures: each holds why. */
function notRun(why: string): CatchUp {
  return { rate: why, rss: why, fileRss: why, cgroupPeak: why, backlog: 0, readers: [], pools: {} };
}

/** Runs of one scenario as one: every run's figures, or the first failure. */
function combined(runs: readonly CatchUp[]): CatchUp {
  const failed = runs.find((run) => typeof run.rate === 'string');
  if (failed) return failed;
  const [first] = runs;
  if (!first) return notRun('not run');
  const every = (field: 'rate' | 'rss' | 'fileRss' | 'cgroupPeak') =>
    runs.flatMap((run) => (typeof run[field] === 'string' ? [] : run[field]));
  return {
    ...first,
    rate: every('rate'),
    rss: every('rss'),
    fileRss: every('fileRss'),
    cgroupPeak: every('cgroupPeak'),
  };
}

export async function projectorScenarios(options: {
  readonly quick: boolean;
  readonly endpoints: Endpoints;
  readonly schemas: EventSchemas;
  readonly log: (line: string) => void;
}): Promise<ScenarioResult[]> {
  const at = stackEndpoints();
  const tenants = 1_000;
  const perTenant = options.quick ? 20 : 200;
  const results: ScenarioResult[] = [];
  const chartLimit = chartMemoryLimit('projector');
  // Each catch-up from scratch, three times (the machine's own swings reach ±15 % within minutes):
  // the figures are the runs' median, min and max.
  const rounds = options.quick ? 1 : 3;
  for (const { id, label, how, kafkaEnv, limited } of [
    { id: 'projector-catchup', label: 'catchup', how: '', kafkaEnv: () => ({}), limited: false },
    {
      id: 'projector-catchup-sasl-ssl',
      label: 'catchup_sasl',
      how: ' over SASL_SSL (SCRAM-SHA-512)',
      kafkaEnv: saslSslKafkaEnv,
      limited: false,
    },
    // What a pod has: V8 sizes its heap from the limit, where the runs above leave it gigabytes.
    {
      id: 'projector-catchup-chart-memory-limit',
      label: 'catchup_limited',
      how: ` within the chart's memory limit (${chartLimit / 2 ** 20} MiB)`,
      kafkaEnv: () => ({}),
      limited: true,
    },
  ]) {
    const runs: CatchUp[] = [];
    let unmeasured: string | undefined;
    for (let round = 0; round < rounds && unmeasured === undefined; round++) {
      const limit = limited ? MemoryLimit.create(`${label}_${round}`, chartLimit) : undefined;
      if (typeof limit === 'string') {
        unmeasured = limit;
        break;
      }
      try {
        runs.push(await catchUp(options, at, label, tenants, perTenant, kafkaEnv(), limit));
      } catch (error) {
        const failed = `failed: ${error instanceof Error ? error.message : String(error)}`;
        runs.push(notRun(failed));
      } finally {
        limit?.remove(options.log);
      }
    }
    if (unmeasured !== undefined) {
      options.log(`${id}: not measured: ${unmeasured}`);
      continue;
    }
    const run = combined(runs);
    results.push({
      id,
      title: `projector${how} catches up a backlog of ${tenants * perTenant} events over ${tenants} tenants`,
      loadGenerator:
        'backlog produced onto Kafka (relay codec and records) before the projector starts; timed from /health ' +
        `until every checkpoint of ${run.readers.join(', ')} reaches its partition's end; each projection applies every event`,
      concurrency: 3,
      poolSize: run.pools['projector/main'] ?? 0,
      poolSizes: run.pools,
      ...(limited ? { memoryLimits: { projector: chartLimit } } : {}),
      warmup: 'none',
      rounds: runs.length,
      perRound: `${run.backlog} events`,
      synchronousCommit: {},
      figures: [
        figure('catch-up throughput', 'events/s', 'higher', run.rate, NO_PEER),
        figure('projector peak RSS', 'MiB', 'lower', run.rss, NO_PEER),
        figure('projector file-backed RSS at the end', 'MiB', 'lower', run.fileRss, NO_PEER),
        ...(limited ? [figure('projector memory cgroup peak', 'MiB', 'lower', run.cgroupPeak, NO_PEER)] : []),
      ],
    });
  }
  return results;
}

/** The issues' targets: ≥ 20,000 events/s catch-up, RSS ≤ 150 MB, SASL_SSL costing at most 15% (#13). */
export function projectorTargets(scenarios: readonly ScenarioResult[]): TargetCheck[] {
  const valueOf = (id: string, name: string) =>
    scenarios.find((s) => s.id === id)?.figures.find((f) => f.name === name)?.ours?.median;
  const value = (name: string) => valueOf('projector-catchup', name);
  const check = (target: string, measured: number | undefined, met: (v: number) => boolean, unit: string) =>
    measured === undefined || Number.isNaN(measured)
      ? { target, met: null, detail: 'not measured' }
      : { target, met: met(measured), detail: `measured ${measured.toFixed(1)} ${unit}` };
  return [
    check(
      'projector catch-up ≥ 20,000 events/s',
      value('catch-up throughput'),
      (v) => v >= 20_000,
      'events/s',
    ),
    check('projector RSS ≤ 150 MB', value('projector peak RSS'), (v) => v * 2 ** 20 <= 150e6, 'MiB peak'),
    check(
      "projector RSS ≤ 150 MB within the chart's memory limit",
      valueOf('projector-catchup-chart-memory-limit', 'projector peak RSS'),
      (v) => v * 2 ** 20 <= 150e6,
      'MiB peak',
    ),
    check(
      'projector catch-up over SASL_SSL ≥ 85% of plaintext (TLS costs ≤ 15%)',
      (() => {
        const plaintext = value('catch-up throughput');
        const secured = valueOf('projector-catchup-sasl-ssl', 'catch-up throughput');
        return plaintext === undefined || secured === undefined ? undefined : (secured / plaintext) * 100;
      })(),
      (v) => v >= 85,
      '% of the plaintext rate',
    ),
  ];
}
