import type { Redis } from 'ioredis';
import { CircuitState } from 'cockatiel';
import { Gauge, type Registry } from 'prom-client';
import { type DatabasePool, sql } from 'slonik';
import { guardDependency } from '../messaging/index.ts';
import { openDatabase } from '../platform/database/index.ts';
import type { ReadinessCheck } from '../platform/health/index.ts';
import type { Logger } from '../platform/telemetry/index.ts';
import { CachedQueries, isReadModelOutage, QueryCache, QueryCacheMetrics } from '../querycache/index.ts';
import { RedisCircuit } from '../quotas/index.ts';
import { ReadModelQueries } from '../readmodels/index.ts';

export interface QuerySideConfig {
  readonly READ_DATABASE_URL?: string | undefined;
  readonly QUERY_CACHE_TTL_SECONDS: number;
  readonly REDIS_TIMEOUT_MS: number;
  readonly DB_POOL_SIZE: number;
}

export interface QuerySide {
  readonly queries: CachedQueries;
  readonly readinessChecks: readonly ReadinessCheck[];
  close(): Promise<void>;
}

/** circuit_breaker_state{service}: one gauge per process, whoever registers it first. */
function breakerStates(registry: Registry): Gauge<'service'> {
  const existing = registry.getSingleMetric('circuit_breaker_state');
  if (existing) return existing as Gauge<'service'>;
  return new Gauge({
    name: 'circuit_breaker_state',
    help: 'Circuit breaker per dependency: 0 closed, 1 half-open, 2 open',
    labelNames: ['service'],
    registers: [registry],
  });
}

const reading = (state: CircuitState) =>
  state === CircuitState.Closed ? 0 : state === CircuitState.HalfOpen ? 1 : 2;

/**
 * The gateway's query side: the read models (their own pool when
 * READ_DATABASE_URL names one) behind a circuit breaker, and the Redis query
 * cache behind its own, both exported on circuit_breaker_state.
 */
export async function composeQuerySide(
  config: QuerySideConfig,
  deps: {
    readonly pool: DatabasePool;
    readonly redis: Redis;
    readonly registry: Registry;
    readonly log: Logger;
  },
): Promise<QuerySide> {
  const { pool, redis, registry, log } = deps;
  const readPool = config.READ_DATABASE_URL
    ? await openDatabase(config.READ_DATABASE_URL, { maximumPoolSize: config.DB_POOL_SIZE })
    : pool;
  const states = breakerStates(registry);
  states.set({ service: 'postgres' }, 0);
  states.set({ service: 'redis' }, 0);
  const readModelGuard = guardDependency({
    counts: isReadModelOutage,
    onStateChange: (state) => states.set({ service: 'postgres' }, state),
  });
  const cache =
    config.QUERY_CACHE_TTL_SECONDS > 0
      ? new QueryCache(
          redis,
          new RedisCircuit({
            timeoutMs: config.REDIS_TIMEOUT_MS,
            onFailure: (error) => log.warn({ err: error }, 'Redis unreachable: queries read the read models'),
            onStateChange: (state) => states.set({ service: 'redis' }, reading(state)),
          }),
          { ttlSeconds: config.QUERY_CACHE_TTL_SECONDS },
        )
      : undefined;
  return {
    queries: new CachedQueries({
      queries: new ReadModelQueries(readPool, pool),
      readModelGuard,
      ...(cache ? { cache, metrics: new QueryCacheMetrics(registry) } : {}),
    }),
    readinessChecks:
      readPool === pool
        ? []
        : [
            {
              name: 'read-models',
              // Queries still answer from the cache, marked stale; commands do not need it.
              essential: false,
              check: async () => void (await readPool.query(sql.unsafe`SELECT 1`)),
            },
          ],
    close: async () => {
      if (readPool !== pool) await readPool.end();
    },
  };
}
