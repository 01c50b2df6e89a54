export { type ArrayElementType, arrayParameter } from './array-literal.ts';
export { databaseReadiness } from './database-readiness.ts';
export { type DatabasePoolOptions, openDatabase } from './pool.ts';
export { registerPoolMetrics } from './pool-metrics.ts';
export { openServiceDatabase, type ServiceDatabase } from './service-database.ts';
export { inTenantTransaction } from './tenant-transaction.ts';
export { type PostgresTarget, postgresTarget } from './postgres-target.ts';
export { sql } from './sql.ts';
export { containsAnyOf } from './text-search.ts';
