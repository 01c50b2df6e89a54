import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';

/** What a tenant's recovery did to its keys (docs/recovery.md, "Recovering one tenant"). */
export interface KeyRecovery {
  /** Keys of the copy the live store lacked, put back (wrapped, or destroyed as in the copy). */
  readonly restored: number;
  /** Keys of the copy left out: the live store destroyed its subject's keys after that key was made. */
  readonly stillForgotten: number;
}

/**
 * The tenant's data keys in a restored copy of the store (read as its owner),
 * as one JSON array: still wrapped by the key-encryption key, never unwrapped here.
 */
export async function readTenantKeys(source: DatabasePool, tenant: TenantId): Promise<string> {
  return source.oneFirst(sql.type(z.object({ keys: z.string() }))`
    SELECT coalesce(json_agg(k), '[]')::text AS keys FROM personal_data_keys k WHERE k.tenant_id = ${tenant}`);
}

/**
 * Puts back the copy's keys the live store lacks, in the recovery's
 * transaction. A key the live store holds stays as it is there: destroyed
 * stays destroyed. A key it lacks comes back only if no key of its subject was
 * destroyed live since that key was made: a subject forgotten after the backup
 * stays forgotten, whatever the copy holds.
 */
export async function restoreTenantKeys(
  tx: DatabaseTransactionConnection,
  tenant: TenantId,
  keys: string,
): Promise<KeyRecovery> {
  return tx
    .one(
      sql.type(z.object({ restored: z.number(), still_forgotten: z.number() }))`
    WITH copy AS (
      SELECT c.* FROM jsonb_populate_recordset(NULL::personal_data_keys, ${keys}::jsonb) c
       WHERE c.tenant_id = ${tenant}
         AND NOT EXISTS (SELECT FROM personal_data_keys k WHERE k.tenant_id = c.tenant_id AND k.key_id = c.key_id)
    ), forgotten AS (
      SELECT c.key_id FROM copy c
       WHERE EXISTS (SELECT FROM personal_data_keys k
                      WHERE k.tenant_id = c.tenant_id AND k.subject = c.subject AND k.destroyed_at >= c.created_at)
    ), put AS (
      INSERT INTO personal_data_keys
      SELECT c.* FROM copy c WHERE c.key_id NOT IN (SELECT key_id FROM forgotten)
      RETURNING 1
    )
    SELECT (SELECT count(*)::int FROM put) AS restored, (SELECT count(*)::int FROM forgotten) AS still_forgotten`,
    )
    .then((row) => ({ restored: row.restored, stillForgotten: row.still_forgotten }));
}
