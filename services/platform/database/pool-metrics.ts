import { Gauge, type Registry } from 'prom-client';
import type { DatabasePool } from 'slonik';

/** db_pool_size, db_pool_available and db_pool_waiting, read from the pool at each scrape. */
export function registerPoolMetrics(
  registry: Registry,
  pool: DatabasePool,
  maximumPoolSize: number,
  name = 'main',
): void {
  const labelNames = ['pool'] as const;
  new Gauge({
    name: 'db_pool_size',
    help: 'Connections the pool may open',
    labelNames,
    registers: [registry],
    collect() {
      this.set({ pool: name }, maximumPoolSize);
    },
  });
  new Gauge({
    name: 'db_pool_available',
    help: 'Connections open and idle, or not yet opened',
    labelNames,
    registers: [registry],
    collect() {
      this.set({ pool: name }, maximumPoolSize - pool.state().acquiredConnections);
    },
  });
  new Gauge({
    name: 'db_pool_waiting',
    help: 'Callers waiting for a connection',
    labelNames,
    registers: [registry],
    collect() {
      this.set({ pool: name }, pool.state().waitingClients);
    },
  });
}
