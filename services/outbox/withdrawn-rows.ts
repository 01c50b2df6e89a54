import type { DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';

/**
 * Drops the outbox rows of events a tenant's recovery withdrew from the store
 * (docs/recovery.md, "Recovering one tenant"), in the recovery's transaction:
 * an event recovered away is never published. The rows of the events it kept
 * stay, and are published as usual. The number of rows dropped.
 */
export async function dropWithdrawnRows(
  tx: DatabaseTransactionConnection,
  tenant: TenantId,
  positions: readonly number[],
): Promise<number> {
  if (positions.length === 0) return 0;
  return tx.oneFirst(sql.type(z.object({ count: z.number() }))`
    WITH dropped AS (
      DELETE FROM outbox WHERE tenant_id = ${tenant} AND global_position = ANY(${sql.array([...positions], 'int8')})
      RETURNING 1
    )
    SELECT count(*)::int AS count FROM dropped`);
}
