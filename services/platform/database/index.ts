export { type DatabasePoolOptions, openDatabase } from './pool.ts';
export { registerPoolMetrics } from './pool-metrics.ts';
export { inTenantTransaction } from './tenant-transaction.ts';
