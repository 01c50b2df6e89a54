import { Partitioners } from 'kafkajs';
import { EventSchemas } from '../avro/index.ts';
import { PostgresEventStore, Upcasters } from '../eventstore/index.ts';
import {
  connectKafka,
  readFetchedHeadersAsText,
  type KafkaConnection,
  kafkaReadiness,
  loadTopology,
  RegistryUnavailableError,
  type RegistryConnection,
  registryReadiness,
  schemaRegistry,
  type Topology,
} from '../messaging/index.ts';
import { DEFAULT_NETWORK_TIMEOUTS, type NetworkTimeouts } from '../platform/config/index.ts';
import { databaseReadiness, openServiceDatabase } from '../platform/database/index.ts';
import { OpsEndpoint, type Readiness } from '../platform/health/index.ts';
import { awaitDependency, type StartupWait } from '../platform/lifecycle/index.ts';
import { exportBreakerState, guardDependency } from '../platform/resilience/index.ts';
import { createMetricsRegistry, type Logger } from '../platform/telemetry/index.ts';
import { ReadModelGenerations } from '../querycache/index.ts';
import { openRedis, pingRedis, type RedisConnection } from '../platform/redis/index.ts';
import {
  buildNewProjection,
  type Projection,
  projectionNamed,
  registerRebuildMetrics,
  projections as shipped,
} from '../readmodels/index.ts';
import { DeadLetters } from './dead-letters.ts';
import { DecodedRecords } from './decoded-records.ts';
import { EventDecoder } from './incoming-event.ts';
import type { HandlerRetries } from './partition-batch.ts';
import type { StalledPartition } from './partition-progress.ts';
import { RecordsNotInStore } from './records-not-in-store.ts';
import { type GroupProjection, ProjectionConsumer } from './projection-consumer.ts';
import { ProjectionRounds } from './projection-rounds.ts';
import { ProjectorMetrics } from './projector-metrics.ts';

export interface ProjectorOptions {
  /** The projector's own role (eventline_projector): every tenant's read models and events. */
  readonly databaseUrl: string;
  /** The brokers, and the TLS and SASL that reach them. */
  readonly kafka: KafkaConnection;
  readonly schemaRegistry: RegistryConnection;
  readonly topicPrefix: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly log: Logger;
  /** Wait for PostgreSQL and Kafka at start-up instead of failing at once. */
  readonly startup?: StartupWait;
  /** Deadlines of its PostgreSQL, Kafka and registry calls (default: docs/contracts.md §2's). */
  readonly timeouts?: NetworkTimeouts;
  readonly retries?: Partial<HandlerRetries>;
  /** Which projections to run (default: every one topology/ declares). */
  readonly only?: readonly string[];
  /** The projections' code (default: the shipped ones); tests swap in a failing handler. */
  readonly projections?: readonly Projection[];
  readonly partitionsConcurrently?: number;
  /** Members of each consumer group this process runs (default 2; DEFAULT_MEMBERS_PER_GROUP says why). */
  readonly membersPerGroup?: number;
  readonly upcasters?: Upcasters;
  /** Where the gateway caches query answers; each committed batch tells it which are out of date. */
  readonly redis?: RedisConnection;
  /** Lag with no batch committed for this long turns /ready degraded, naming the partition (default 60 s). */
  readonly stallAfterMs?: number;
}

export interface RunningProjector {
  readonly port: number;
  readonly readiness: Readiness;
  /** Every member of every consumer group this process runs. */
  readonly consumers: readonly ProjectionConsumer[];
  /** Leaves the consumer groups (partitions move to other replicas), then closes connections. */
  close(): Promise<void>;
}

export const DEFAULT_RETRIES: HandlerRetries = { attempts: 3, delayMs: 200 };
export const DEFAULT_STALL_AFTER_MS = 60_000;
/**
 * Decoded records kept at most per partition for the other consumer groups of
 * its topic: a few fetches of 256 KiB (some 370 records each), so a group a
 * few fetches behind the others still finds them.
 */
const DECODED_RECORDS_PER_PARTITION = 2_048;
/**
 * Partition batches kafkajs hands a projection at once: at least a replica's
 * share of a topic's partitions (topology/ gives orders 12), so every batch of
 * a fetch goes in the same round, one transaction (services/projector/batch-rounds.ts).
 */
const PARTITIONS_HANDED_OVER_AT_ONCE = 12;
/**
 * kafkajs fetches a member's next records only once the last fetch's batches
 * are applied, so one member leaves the process idle through every round's
 * database round trips and PostgreSQL idle through every fetch and decode. A
 * second member of the group in the same process (Spring Kafka's
 * `concurrency`) takes half the partitions and fetches and decodes while the
 * first one's round runs: catch-up went from 12,900–14,400 to 15,300–21,000
 * events/s on 2 cores (docs/projector.md, "Members per group"). Members split
 * partitions as replicas do, and the checkpoints' row locks keep them exact.
 */
export const DEFAULT_MEMBERS_PER_GROUP = 2;

function describeStall(projection: string, stalled: readonly StalledPartition[]): string {
  const partitions = stalled.map(
    ({ topic, partition, stuckForMs }) => `${topic}[${partition}] for ${Math.round(stuckForMs / 1000)} s`,
  );
  return `projection ${projection} stalled: records behind and nothing applied in ${partitions.join(', ')}`;
}

/**
 * The consumer groups' projections this process runs: every one, or those
 * `only` names. A group's members share its partitions, so every process of a
 * group must run the same projections of it: one that runs a part of a group
 * is told so in the log (a single process may, as the tests do; two running
 * different parts would each leave the other's share of the partitions
 * unapplied, and need a consumerGroup each in topology/).
 */
function projectionsToRun(
  declared: Topology['consumerGroups'],
  only: readonly string[] | undefined,
  log: Logger,
): Topology['consumerGroups'] {
  if (!only) return declared;
  const unknown = only.filter((name) => !declared.some(({ projection }) => projection === name));
  if (unknown.length > 0)
    throw new Error(`PROJECTOR_PROJECTIONS names ${unknown.join(', ')}, which topology/ does not declare`);
  const run = declared.filter(({ projection }) => only.includes(projection));
  for (const group of new Set(run.map((chosen) => chosen.group))) {
    const left = declared.filter((entry) => entry.group === group && !only.includes(entry.projection));
    if (left.length > 0)
      log.warn(
        {
          group,
          running: run.filter((chosen) => chosen.group === group).map((chosen) => chosen.projection),
          left: left.map((entry) => entry.projection),
        },
        'this process runs part of a consumer group: every process of the group must run the same projections',
      );
  }
  return run;
}

/** Wires the projector: a consumer per consumer group of topology/ (feeding its projections), and /health, /ready, /metrics. */
export async function startProjector(options: ProjectorOptions): Promise<RunningProjector> {
  const { log } = options;
  const timeouts = options.timeouts ?? DEFAULT_NETWORK_TIMEOUTS;
  const topology = await loadTopology(options.topicPrefix);
  const code = options.projections ?? shipped;
  const declared = projectionsToRun(topology.consumerGroups, options.only, log);
  const concurrency = options.partitionsConcurrently ?? PARTITIONS_HANDED_OVER_AT_ONCE;
  // One round's transaction at a time, its commit-order lookup before it, and each projection's seeks.
  const poolSize = Math.max(4, declared.length + 2);
  const registry = createMetricsRegistry('projector');
  const { pool, guard: databaseGuard } = await openServiceDatabase(options.databaseUrl, {
    poolSize,
    timeouts,
    registry,
    startup: options.startup,
  });
  registerRebuildMetrics(registry, pool);
  const metrics = new ProjectorMetrics(registry);
  const kafkaGuard = guardDependency({ onStateChange: exportBreakerState(registry, 'kafka') });
  const registryGuard = guardDependency({
    // A schema the registry does not have makes a record unreadable, not the registry unhealthy.
    counts: (error) => error instanceof RegistryUnavailableError,
    onStateChange: exportBreakerState(registry, 'schema-registry'),
  });
  // Before the first fetch: every header the projector reads is text.
  readFetchedHeadersAsText();
  const kafka = connectKafka({
    connection: options.kafka,
    clientId: 'eventline-projector',
    log,
    connectionTimeout: timeouts.kafkaConnectMs,
    // A SyncGroup answers only once the rebalance ends, which waits out crashed members'
    // sessions: timing it out sooner crashes the consumer, leaving one more member to wait for.
    requestTimeout: Math.max(45_000, timeouts.kafkaRequestMs),
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await awaitDependency('kafka', () => producer.connect(), options.startup);
  const schemas = await EventSchemas.load();
  const upcasters = options.upcasters ?? new Upcasters();
  const events = new PostgresEventStore(pool, schemas, upcasters);
  const decoder = new EventDecoder(
    schemaRegistry(options.schemaRegistry, timeouts.registryMs),
    schemas,
    upcasters,
    registryGuard,
  );
  const deadLetters = new DeadLetters(producer, kafkaGuard);
  const retries = { ...DEFAULT_RETRIES, ...options.retries };
  const redis = options.redis ? openRedis(options.redis) : undefined;
  const generations =
    redis &&
    new ReadModelGenerations(redis, {
      onFailure: (error) =>
        log.warn({ err: error }, 'Redis unreachable: cached query answers age until QUERY_CACHE_TTL_SECONDS'),
      onStateChange: exportBreakerState(registry, 'redis'),
    });

  const groups = new Map<string, GroupProjection[]>();
  for (const { projection: name, group } of declared) {
    const projection = code.find((candidate) => candidate.name === name);
    if (!projection) throw new Error(`topology/ declares the projection ${name}, which no code implements`);
    const topics = projection.sources.map((source) => {
      const topic = topology.eventTopics.get(source)?.topic;
      if (!topic) throw new Error(`projection ${name} reads ${source}, which topology/ gives no topic`);
      return topic;
    });
    groups.set(group, [...(groups.get(group) ?? []), { projection, topics }]);
  }
  const groupsReading = new Map<string, number>();
  for (const topic of [...groups.values()].flatMap((readings) => [
    ...new Set(readings.flatMap(({ topics }) => topics)),
  ]))
    groupsReading.set(topic, (groupsReading.get(topic) ?? 0) + 1);
  const records = new DecodedRecords(decoder, groupsReading, DECODED_RECORDS_PER_PARTITION);

  const notInStore = new RecordsNotInStore(registry, log);
  const rounds = new ProjectionRounds({ pool, databaseGuard, deadLetters, retries });
  const members = options.membersPerGroup ?? DEFAULT_MEMBERS_PER_GROUP;
  const consumers = [...groups].flatMap(([group, projections]) =>
    Array.from(
      { length: members },
      () =>
        new ProjectionConsumer({
          kafka,
          pool,
          rounds,
          kafkaGuard,
          records,
          notInStore,
          metrics,
          log,
          projections,
          group,
          partitionsConcurrently: concurrency,
          ...(generations ? { onCommitted: generations.advance.bind(generations) } : {}),
          stallAfterMs: options.stallAfterMs ?? DEFAULT_STALL_AFTER_MS,
        }),
    ),
  );
  const projectionsRun = [...groups.values()].flatMap((projections) =>
    projections.map(({ projection, topics }) => ({
      name: projection.name,
      topics,
      members: consumers.filter((consumer) => consumer.projections === projections),
    })),
  );

  const ops = new OpsEndpoint(
    [
      databaseReadiness(pool),
      kafkaReadiness({
        connection: options.kafka,
        clientId: 'eventline-projector-probe',
        timeouts,
        breaker: kafkaGuard,
      }),
      registryReadiness(options.schemaRegistry, registryGuard),
      notInStore.readiness,
      // Not essential: without Redis cached query answers age until their TTL; projecting goes on.
      ...(redis ? [{ name: 'redis', essential: false, check: () => pingRedis(redis) }] : []),
      ...projectionsRun.map(({ name, topics, members }) => ({
        name: `projection:${name}`,
        essential: false,
        async check() {
          const failure = members.find((member) => member.failure)?.failure;
          if (failure) throw new Error(`the consumer stopped: ${failure}`);
          // The group's stalled partitions of the topics this projection reads, whichever member has them.
          const stalled = members
            .flatMap((member) => member.stalled())
            .filter(({ topic }) => topics.includes(topic));
          if (stalled.length > 0) throw new Error(describeStall(name, stalled));
        },
      })),
    ],
    registry,
  );
  const port = await ops.listen(options.host, options.port);

  // A projection new to this database starts from the event store, not from the topics' beginning.
  for (const { name } of projectionsRun) {
    const built = await buildNewProjection(pool, projectionNamed(name, code), code, events);
    if (built) log.info({ projection: name, ...built }, 'new projection built from the event store');
  }
  await Promise.all(consumers.map((consumer) => consumer.start()));
  log.info(
    { port, projections: projectionsRun.map(({ name }) => name), topicPrefix: options.topicPrefix },
    'projector started',
  );

  return {
    port,
    readiness: ops.readiness,
    consumers,
    async close() {
      await ops.close();
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      await producer.disconnect();
      await pool.end();
      redis?.disconnect();
    },
  };
}
