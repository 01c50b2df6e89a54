import type { DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { sql } from '../../platform/database/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';

/**
 * Forgets the tenant's Idempotency-Key records made after the point its
 * recovery went back to, in the recovery's transaction: the commands they
 * acknowledged are no longer in the store, so a client retrying one has it
 * applied anew rather than replayed an answer for events that are gone (as
 * after a restore of the whole store, docs/recovery.md). The number forgotten.
 */
export async function forgetRecordsAfter(
  tx: DatabaseTransactionConnection,
  tenant: TenantId,
  asOf: string,
): Promise<number> {
  return tx.oneFirst(sql.type(z.object({ count: z.number() }))`
    WITH forgotten AS (
      DELETE FROM idempotency_records WHERE tenant_id = ${tenant} AND created_at > ${asOf}::timestamptz
      RETURNING 1
    )
    SELECT count(*)::int AS count FROM forgotten`);
}
