import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import { sql } from './sql.ts';
import type { TenantId } from '../tenancy/index.ts';

/**
 * Runs fn in a transaction acting for one tenant: row-level security then shows
 * and accepts only that tenant's rows, whatever ids the queries name.
 */
export async function inTenantTransaction<T>(
  pool: DatabasePool,
  tenant: TenantId,
  fn: (tx: DatabaseTransactionConnection) => Promise<T>,
): Promise<T> {
  return pool.transaction(async (tx) => {
    await tx.query(sql.typeAlias('void')`SELECT set_config('eventline.tenant_id', ${tenant}, true)`);
    return fn(tx);
  });
}
