import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { z } from 'zod';
import { EventSchemas } from '../avro/index.ts';
import { CommandHandler } from '../commands/index.ts';
import { PostgresEventStore, StreamListing, Upcasters } from '../eventstore/index.ts';
import { type TopicRetention } from '../erasure/index.ts';
import { loadTopology } from '../messaging/index.ts';
import {
  destroySubjectKeys,
  keyEncryptionFrom,
  PersonalData,
  personalDataEnv,
  SubjectKeys,
} from '../privacy/index.ts';
import { AdminToken, ApiKeys, ConsoleSessions, JwtVerifier, TenantDirectory } from '../identity/index.ts';
import { DEFAULT_NETWORK_TIMEOUTS, env, type NetworkTimeouts } from '../platform/config/index.ts';
import { databaseReadiness, openServiceDatabase, postgresTarget } from '../platform/database/index.ts';
import { OpsEndpoint } from '../platform/health/index.ts';
import type { ShutdownStep, StartupWait } from '../platform/lifecycle/index.ts';
import { createLogger, createMetricsRegistry, type Logger } from '../platform/telemetry/index.ts';
import { openRedis, redisConnection, redisEnv } from '../platform/redis/index.ts';
import { CommandQuota, DailyEventQuota } from '../quotas/index.ts';
import { kafkaEnv, registryEnv } from '../messaging/index.ts';
import { createGatewayApp } from './app.ts';
import { composeOperations } from './operations/compose-operations.ts';
import { CommandGate } from './commands/command-gate.ts';
import { drainServer } from './http/drain.ts';
import { IdempotencyStore } from './idempotency/idempotency-store.ts';
import { composeQuerySide } from './query-side.ts';

/** The gateway's configuration: the environment variables it reads (docs/contracts.md §2). */
export const gatewayEnv = {
  PORT: env.PORT,
  GATEWAY_OPS_PORT: env.GATEWAY_OPS_PORT,
  HOST: env.HOST,
  DATABASE_URL: env.DATABASE_URL,
  ...redisEnv,
  LOG_LEVEL: env.LOG_LEVEL,
  ADMIN_TOKEN: env.ADMIN_TOKEN,
  JWT_SECRET: env.JWT_SECRET,
  JWT_JWKS_URL: env.JWT_JWKS_URL,
  JWT_ISSUER: env.JWT_ISSUER,
  JWT_AUDIENCE: env.JWT_AUDIENCE,
  BODY_LIMIT_BYTES: env.BODY_LIMIT_BYTES,
  IDEMPOTENCY_TTL_SECONDS: env.IDEMPOTENCY_TTL_SECONDS,
  DB_POOL_SIZE: env.DB_POOL_SIZE,
  READ_DATABASE_URL: env.READ_DATABASE_URL,
  QUERY_CACHE_TTL_SECONDS: env.QUERY_CACHE_TTL_SECONDS,
  READ_YOUR_WRITES_RECHECK_MS: env.READ_YOUR_WRITES_RECHECK_MS,
  REDIS_TIMEOUT_MS: env.REDIS_TIMEOUT_MS,
  SHUTDOWN_GRACE_MS: env.SHUTDOWN_GRACE_MS,
  ADMIN_CONSOLE: env.ADMIN_CONSOLE,
  OPERATIONS_DATABASE_URL: env.OPERATIONS_DATABASE_URL,
  ...kafkaEnv,
  ...registryEnv,
  /** The topics' names: an offboarding's report names them, and the projection operations read their offsets. */
  KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX,
  ...personalDataEnv,
};

export type GatewayConfig = z.infer<z.ZodObject<typeof gatewayEnv>>;

export interface RunningGateway {
  readonly server: Server;
  /** Where /health, /ready and /metrics are served: GATEWAY_OPS_PORT, or the free port 0 picked. */
  readonly opsPort: number;
  readonly log: Logger;
  /** In shutdown order: stop taking requests, finish snapshots, close connections. */
  readonly shutdownSteps: readonly ShutdownStep[];
}

/** What an offboarding's report says Kafka keeps, and how long: as the topology declares. */
async function topicRetention(prefix: string): Promise<readonly TopicRetention[]> {
  const topology = await loadTopology(prefix);
  return [...topology.eventTopics.values(), ...topology.deadLetterTopics].map(({ topic, retentionMs }) => ({
    topic,
    retentionMs,
  }));
}

/** Wires the gateway from its configuration and starts listening. */
export async function startGateway(
  config: GatewayConfig,
  context: {
    readonly log?: Logger;
    /** Wait for PostgreSQL at start-up instead of failing at once. */
    readonly startup?: StartupWait;
    readonly timeouts?: NetworkTimeouts;
  } = {},
): Promise<RunningGateway> {
  const log = context.log ?? createLogger('gateway', config.LOG_LEVEL);
  const timeouts = context.timeouts ?? DEFAULT_NETWORK_TIMEOUTS;
  const registry = createMetricsRegistry('gateway');
  // How the read models' own pool (READ_DATABASE_URL) is opened: as the main one.
  const database = {
    maximumPoolSize: config.DB_POOL_SIZE,
    statementTimeoutMs: timeouts.databaseStatementMs,
    connectTimeoutMs: timeouts.databaseConnectMs,
  };
  const { pool, guard: databaseGuard } = await openServiceDatabase(config.DATABASE_URL, {
    poolSize: config.DB_POOL_SIZE,
    timeouts,
    registry,
    startup: context.startup,
  });
  const idempotencyPool = new pg.Pool({
    ...postgresTarget(config.DATABASE_URL),
    max: Math.max(4, Math.ceil(config.DB_POOL_SIZE / 2)),
    connectionTimeoutMillis: timeouts.databaseConnectMs,
    statement_timeout: timeouts.databaseStatementMs,
  });
  const redis = openRedis(redisConnection(config));
  const directory = new TenantDirectory(pool);
  const schemas = await EventSchemas.load();
  const encryption = keyEncryptionFrom(config);
  const subjectKeys = encryption ? new SubjectKeys(pool, encryption) : undefined;
  const personalData = subjectKeys ? new PersonalData(subjectKeys, schemas) : undefined;
  if (!personalData)
    log.warn('PERSONAL_DATA_KEK is unset: commands holding personal data are refused (docs/privacy.md)');
  const store = new PostgresEventStore(pool, schemas, new Upcasters(), {
    inline: [directory.inline],
    ...(personalData ? { personalData } : {}),
  });
  const handler = new CommandHandler(store, {
    onSnapshotError: (error) =>
      log.warn({ err: error }, 'snapshot write failed; loads replay more events until the next one'),
  });
  const apiKeys = new ApiKeys(pool);
  const onFallback = (error: unknown) =>
    log.warn({ err: error }, 'Redis unreachable: quotas enforced per gateway process');
  const quotaRedis = { onFallback, redisTimeoutMs: config.REDIS_TIMEOUT_MS };
  const quota = new CommandQuota(redis, quotaRedis);
  const dailyEvents = new DailyEventQuota(redis, quotaRedis);
  const querySide = await composeQuerySide(config, {
    pool,
    events: store,
    redis,
    registry,
    log,
    databaseGuard,
    database,
  });
  const ops = new OpsEndpoint(
    [databaseReadiness(pool), quota.readinessCheck(), ...querySide.readinessChecks],
    registry,
  );

  const operations = await composeOperations(config, schemas, timeouts, log);
  const app = createGatewayApp({
    log,
    registry,
    readiness: ops.readiness,
    store,
    handler,
    gate: new CommandGate(handler, directory, quota, dailyEvents, databaseGuard, registry),
    quota,
    dailyEvents,
    consoleEnabled: config.ADMIN_CONSOLE === 'on',
    sessions: new ConsoleSessions(redis),
    streams: new StreamListing(pool),
    operations: operations?.projections,
    deadLetters: operations?.deadLetters,
    relay: operations?.relay,
    kafka: operations?.kafka,
    idempotency: new IdempotencyStore(idempotencyPool, config.IDEMPOTENCY_TTL_SECONDS),
    directory,
    apiKeys,
    erasure: {
      handler,
      // Keys stored while a KEK was set are destroyed all the same without one.
      keys: subjectKeys ?? {
        destroy: async (tx, tenant, subject) => (await destroySubjectKeys(tx, tenant, subject)).length,
      },
      apiKeys,
      pool,
      redis,
      retention: await topicRetention(config.KAFKA_TOPIC_PREFIX),
    },
    adminToken: new AdminToken(config.ADMIN_TOKEN),
    jwt: new JwtVerifier({
      ...(config.JWT_SECRET ? { secret: config.JWT_SECRET } : {}),
      ...(config.JWT_JWKS_URL ? { jwksUrl: config.JWT_JWKS_URL } : {}),
      ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
      ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
    }),
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    queries: querySide.queries,
    personalData,
    subjectKeys,
    readModelRows: querySide.rows,
  });

  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(config.PORT, config.HOST, () => resolve(listening));
  });
  server.keepAliveTimeout = 65_000;
  const opsPort = await ops.listen(config.HOST, config.GATEWAY_OPS_PORT);
  log.info({ host: config.HOST, port: (server.address() as AddressInfo).port, opsPort }, 'gateway listening');
  return {
    server,
    opsPort,
    log,
    shutdownSteps: [
      {
        name: 'http',
        // Half the grace period: the later steps (snapshots, connections) still get their turn.
        close: () => drainServer(server, config.SHUTDOWN_GRACE_MS / 2),
      },
      { name: 'snapshots', close: () => handler.flushSnapshots() },
      {
        name: 'operations',
        // The projections' last, since they close the owner's pool that the others share.
        close: async () => {
          await operations?.kafka.close();
          await operations?.projections.close();
        },
      },
      { name: 'outbox doorbell', close: () => store.close() },
      { name: 'postgres', close: async () => void (await Promise.all([pool.end(), idempotencyPool.end()])) },
      { name: 'read models', close: () => querySide.close() },
      { name: 'redis', close: async () => void redis.disconnect() },
      // Last, so /ready and /metrics answer while the rest drains.
      { name: 'ops', close: () => ops.close() },
    ],
  };
}
