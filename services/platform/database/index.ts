export { type DatabasePoolOptions, openDatabase } from './pool.ts';
export { inTenantTransaction } from './tenant-transaction.ts';
