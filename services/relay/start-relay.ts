import { EventSchemas } from '../avro/index.ts';
import {
  connectKafka,
  consumerGroup,
  EventCodec,
  type KafkaConnection,
  kafkaReadiness,
  loadTopology,
  type RegistryConnection,
  registryReadiness,
  schemaRegistry,
  UnencodableEventError,
} from '../messaging/index.ts';
import { DEFAULT_NETWORK_TIMEOUTS, type NetworkTimeouts } from '../platform/config/index.ts';
import { databaseReadiness, openServiceDatabase } from '../platform/database/index.ts';
import { OpsEndpoint, type Readiness } from '../platform/health/index.ts';
import type { StartupWait } from '../platform/lifecycle/index.ts';
import { exportBreakerState, guardDependency } from '../platform/resilience/index.ts';
import { createMetricsRegistry, type Logger } from '../platform/telemetry/index.ts';
import { JavaCompatiblePartitioner } from './java-partitioner.ts';
import { DEFAULT_SETTINGS, OutboxRelay, type RelaySettings } from './outbox-relay.ts';
import { Publisher } from './publisher.ts';
import { useFastRecordEncoder } from './record-encoder.ts';
import { RelayMetrics } from './relay-metrics.ts';
import { RestoreCheck, type Verdict } from './restore-check.ts';

export interface RelayOptions {
  /** The relay's own role (eventline_relay): every tenant's outbox and events. */
  readonly databaseUrl: string;
  /** The brokers, and the TLS and SASL that reach them. */
  readonly kafka: KafkaConnection;
  readonly schemaRegistry: RegistryConnection;
  readonly topicPrefix: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly log: Logger;
  /** Wait for PostgreSQL at start-up instead of failing at once. */
  readonly startup?: StartupWait;
  /** Deadlines of its PostgreSQL, Kafka and registry calls (default: docs/contracts.md §2's). */
  readonly timeouts?: NetworkTimeouts;
  readonly settings?: Partial<Omit<RelaySettings, 'topicPrefix' | 'notificationsUrl'>>;
  /**
   * RELAY_ACCEPT_RESTORE: the id of the report of a store restored behind
   * Kafka, whose records the operator leaves on the topics (docs/recovery.md).
   */
  readonly acceptRestore?: string | undefined;
}

export interface RunningRelay {
  readonly relay: OutboxRelay;
  readonly port: number;
  readonly readiness: Readiness;
  /** Stops taking work, lets batches in flight finish, gives leases back, closes connections. */
  close(): Promise<void>;
}

/** Wires the relay's parts together and serves /health, /ready and /metrics. */
export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  const { log } = options;
  const timeouts = options.timeouts ?? DEFAULT_NETWORK_TIMEOUTS;
  const registry = createMetricsRegistry('relay');
  // The sweep, its deletes, the leases and the scrapes: one replica needs few connections (4).
  const { pool, guard: databaseBreaker } = await openServiceDatabase(options.databaseUrl, {
    poolSize: 4,
    timeouts,
    registry,
    startup: options.startup,
  });
  const metrics: RelayMetrics = new RelayMetrics(registry, () => relay.outbox.backlog());

  const kafkaBreaker = guardDependency({ onStateChange: exportBreakerState(registry, 'kafka') });
  const registryBreaker = guardDependency({
    // A schema the registry refuses says nothing about the registry's health.
    counts: (error) =>
      !(error instanceof UnencodableEventError) &&
      !/\b(409|422)\b/.test(error instanceof Error ? error.message : ''),
    onStateChange: exportBreakerState(registry, 'schema-registry'),
  });

  const kafka = connectKafka({
    connection: options.kafka,
    clientId: 'eventline-relay',
    log,
    connectionTimeout: timeouts.kafkaConnectMs,
    requestTimeout: timeouts.kafkaRequestMs,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
  });
  if (!useFastRecordEncoder())
    log.warn("kafkajs is not the version the relay's record encoder matches: using its own");
  const publisher = new Publisher(
    () =>
      kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: JavaCompatiblePartitioner,
        retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
      }),
    kafkaBreaker,
    (size) => metrics.batchSize.observe(size),
  );
  const codec = new EventCodec(
    schemaRegistry(options.schemaRegistry, timeouts.registryMs),
    await EventSchemas.load(),
    registryBreaker,
  );
  const relay: OutboxRelay = new OutboxRelay(pool, databaseBreaker, codec, publisher, metrics, log, {
    ...DEFAULT_SETTINGS,
    ...options.settings,
    topicPrefix: options.topicPrefix,
    notificationsUrl: options.databaseUrl,
  });

  const restoreCheck = new RestoreCheck({
    kafka,
    pool,
    topics: [...(await loadTopology(options.topicPrefix)).eventTopics.values()].map((spec) => spec.topic),
    groupPrefix: consumerGroup(options.topicPrefix, 'eventline-relay-restore-check-'),
    acceptReport: options.acceptRestore,
    behindRecords: metrics.storeBehindKafka,
    log,
    timeoutMs: Math.max(30_000, timeouts.kafkaRequestMs),
  });

  const ops = new OpsEndpoint(
    [
      restoreCheck.readiness,
      databaseReadiness(pool),
      kafkaReadiness({
        connection: options.kafka,
        clientId: 'eventline-relay-probe',
        timeouts,
        breaker: kafkaBreaker,
      }),
      registryReadiness(options.schemaRegistry, registryBreaker),
    ],
    registry,
  );
  const port = await ops.listen(options.host, options.port);

  // Nothing is published before the store is found level with Kafka (a restore; docs/recovery.md).
  let verdict: Verdict | undefined;
  try {
    verdict = await restoreCheck.compare();
  } catch (error) {
    restoreCheck.failed(error);
  }
  if (verdict === 'clear') await relay.start();
  const comparing =
    verdict === undefined
      ? restoreCheck
          .retry()
          .then(async (clear) => {
            if (!clear) return;
            await relay.start();
            log.info({ replica: relay.replica }, 'compared with Kafka at last: publishing');
          })
          .catch((error: unknown) => log.error({ err: error }, 'the relay could not start publishing'))
      : Promise.resolve();
  log.info(
    { port, replica: relay.replica, topicPrefix: options.topicPrefix, publishing: verdict === 'clear' },
    'relay started',
  );

  return {
    relay,
    port,
    readiness: ops.readiness,
    async close() {
      restoreCheck.stop();
      await comparing;
      await ops.close();
      await relay.stop();
      await publisher.close();
      await pool.end();
    },
  };
}
