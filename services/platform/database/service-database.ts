import type { CircuitBreakerPolicy } from 'cockatiel';
import type { Registry } from 'prom-client';
import type { DatabasePool } from 'slonik';
import type { NetworkTimeouts } from '../config/index.ts';
import { awaitDependency, type StartupWait } from '../lifecycle/index.ts';
import { exportBreakerState, guardDependency, isConnectionOutage } from '../resilience/index.ts';
import { openDatabase } from './pool.ts';
import { registerPoolMetrics } from './pool-metrics.ts';

export interface ServiceDatabase {
  readonly pool: DatabasePool;
  /** PostgreSQL's circuit breaker, exported as circuit_breaker_state{dependency="postgres"}. */
  readonly guard: CircuitBreakerPolicy;
}

/**
 * A deployable's PostgreSQL, the same way in each: the pool opened with the
 * environment's deadlines (waited for at start-up), its db_pool_* gauges, and
 * the breaker its calls go through. Only a connection lost or refused counts
 * against the breaker: a conflict or a refused statement says nothing of
 * PostgreSQL's health.
 */
export async function openServiceDatabase(
  url: string,
  options: {
    readonly poolSize: number;
    readonly timeouts: NetworkTimeouts;
    readonly registry: Registry;
    readonly startup?: StartupWait | undefined;
  },
): Promise<ServiceDatabase> {
  const pool = await awaitDependency(
    'postgres',
    () =>
      openDatabase(url, {
        maximumPoolSize: options.poolSize,
        statementTimeoutMs: options.timeouts.databaseStatementMs,
        connectTimeoutMs: options.timeouts.databaseConnectMs,
      }),
    options.startup,
  );
  registerPoolMetrics(options.registry, pool, options.poolSize);
  const guard = guardDependency({
    counts: isConnectionOutage,
    onStateChange: exportBreakerState(options.registry, 'postgres'),
  });
  return { pool, guard };
}
