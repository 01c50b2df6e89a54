import type { Redis } from 'ioredis';
import type { IPolicy } from 'cockatiel';
import { Gauge, type Registry } from 'prom-client';
import type { DatabasePool } from 'slonik';
import { type DatabasePoolOptions, databaseReadiness, openDatabase } from '../platform/database/index.ts';
import type { ReadinessCheck } from '../platform/health/index.ts';
import { exportBreakerState, guardDependency, isConnectionOutage } from '../platform/resilience/index.ts';
import type { EventStore } from '../eventstore/index.ts';
import { RedisCircuit } from '../platform/redis/index.ts';
import type { Logger } from '../platform/telemetry/index.ts';
import { CachedQueries, QueryCache, QueryCacheMetrics, WatermarkAnnouncements } from '../querycache/index.ts';
import { ReadModelQueries, ReadModelRows, WatermarkWaits } from '../readmodels/index.ts';

export interface QuerySideConfig {
  readonly READ_DATABASE_URL?: string | undefined;
  readonly QUERY_CACHE_TTL_SECONDS: number;
  readonly REDIS_TIMEOUT_MS: number;
  readonly READ_YOUR_WRITES_RECHECK_MS: number;
}

export interface QuerySide {
  readonly queries: CachedQueries;
  /** The read models' rows as they are, for exports: on the same database as the queries. */
  readonly rows: ReadModelRows;
  readonly readinessChecks: readonly ReadinessCheck[];
  close(): Promise<void>;
}

/**
 * The gateway's query side: the read models behind a circuit breaker (the
 * command path's PostgreSQL one, unless READ_DATABASE_URL names a database of
 * their own), and the Redis query cache behind its own, all exported on
 * circuit_breaker_state. Read-your-writes waits wake on the projector's
 * announcements, heard by one Redis subscription for the whole process.
 */
export async function composeQuerySide(
  config: QuerySideConfig,
  deps: {
    readonly pool: DatabasePool;
    /** Where a caller's X-Min-Position is looked up, on DATABASE_URL's primary. */
    readonly events: EventStore;
    readonly redis: Redis;
    readonly registry: Registry;
    readonly log: Logger;
    /** PostgreSQL's breaker (DATABASE_URL), which the command path shares. */
    readonly databaseGuard: IPolicy;
    /** How the gateway's pools are opened (size, timeouts): READ_DATABASE_URL's alike. */
    readonly database: DatabasePoolOptions;
  },
): Promise<QuerySide> {
  const { pool, redis, registry, log } = deps;
  const readPool = config.READ_DATABASE_URL
    ? await openDatabase(config.READ_DATABASE_URL, deps.database)
    : pool;
  // One breaker per database: when the read models live in DATABASE_URL, its breaker is theirs.
  const readModelGuard =
    readPool === pool
      ? deps.databaseGuard
      : guardDependency({
          counts: isConnectionOutage,
          onStateChange: exportBreakerState(registry, 'read-models'),
        });
  const cache =
    config.QUERY_CACHE_TTL_SECONDS > 0
      ? new QueryCache(
          redis,
          new RedisCircuit({
            timeoutMs: config.REDIS_TIMEOUT_MS,
            onFailure: (error) => log.warn({ err: error }, 'Redis unreachable: queries read the read models'),
            onStateChange: exportBreakerState(registry, 'redis'),
          }),
          { ttlSeconds: config.QUERY_CACHE_TTL_SECONDS },
        )
      : undefined;
  const waiting = new Gauge({
    name: 'read_your_writes_waits',
    help: 'Queries waiting now for the read model to reach their X-Min-Position',
    registers: [registry],
  });
  const waits = new WatermarkWaits({
    recheckMs: config.READ_YOUR_WRITES_RECHECK_MS,
    // The projector commits where DATABASE_URL points; a READ_DATABASE_URL may be a replica behind it.
    announcedIsVisible: readPool === pool,
    onWaiting: (count) => waiting.set(count),
  });
  const announcements = new WatermarkAnnouncements(redis, waits, log);
  return {
    queries: new CachedQueries({
      queries: new ReadModelQueries(readPool, deps.events, waits),
      readModelGuard,
      ...(cache ? { cache, metrics: new QueryCacheMetrics(registry) } : {}),
    }),
    rows: new ReadModelRows(readPool),
    readinessChecks: [
      announcements.readinessCheck(),
      // Not essential: queries still answer from the cache, marked stale; commands do not need it.
      ...(readPool === pool ? [] : [databaseReadiness(readPool, { name: 'read-models', essential: false })]),
    ],
    close: async () => {
      announcements.close();
      if (readPool !== pool) await readPool.end();
    },
  };
}
