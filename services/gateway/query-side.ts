import type { Redis } from 'ioredis';
import type { IPolicy } from 'cockatiel';
import type { Registry } from 'prom-client';
import type { DatabasePool } from 'slonik';
import { type DatabasePoolOptions, databaseReadiness, openDatabase } from '../platform/database/index.ts';
import type { ReadinessCheck } from '../platform/health/index.ts';
import { exportBreakerState, guardDependency, isConnectionOutage } from '../platform/resilience/index.ts';
import type { EventStore } from '../eventstore/index.ts';
import { RedisCircuit } from '../platform/redis/index.ts';
import type { Logger } from '../platform/telemetry/index.ts';
import { CachedQueries, QueryCache, QueryCacheMetrics } from '../querycache/index.ts';
import { ReadModelQueries, ReadModelRows } from '../readmodels/index.ts';

export interface QuerySideConfig {
  readonly READ_DATABASE_URL?: string | undefined;
  readonly QUERY_CACHE_TTL_SECONDS: number;
  readonly REDIS_TIMEOUT_MS: number;
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
 * circuit_breaker_state.
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
  return {
    queries: new CachedQueries({
      queries: new ReadModelQueries(readPool, deps.events),
      readModelGuard,
      ...(cache ? { cache, metrics: new QueryCacheMetrics(registry) } : {}),
    }),
    rows: new ReadModelRows(readPool),
    readinessChecks:
      readPool === pool
        ? []
        : // Not essential: queries still answer from the cache, marked stale; commands do not need it.
          [databaseReadiness(readPool, { name: 'read-models', essential: false })],
    close: async () => {
      if (readPool !== pool) await readPool.end();
    },
  };
}
