import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';
import type { KeyEncryption } from './key-encryption.ts';

/** What a rewrap did, in counts: it never names a key, a subject or a tenant. */
export interface RewrapReport {
  /** Stored keys looked at: every one not destroyed when its batch was read. */
  readonly examined: number;
  /** Keys that were wrapped by an earlier key-encryption key and are now wrapped by the current one. */
  readonly rewrapped: number;
  /** Keys already under the current key-encryption key: left as they are, so a second run is cheap. */
  readonly alreadyCurrent: number;
  /** Keys destroyed (a forget) or re-wrapped by another run while this one held them: left as they are. */
  readonly changedMeanwhile: number;
  /** Keys this process could not unwrap, typically wrapped by a key-encryption key it was not given. */
  readonly unreadable: number;
  /** Why, each reason once (they name key-encryption key ids, never key material). */
  readonly unreadableReasons: readonly string[];
}

export const DEFAULT_REWRAP_BATCH = 500;

const storedKey = z.object({ tenant_id: z.string(), key_id: z.string(), wrapped_key: z.string() });
const rlsView = z.object({ role: z.string(), sees_every_tenant: z.boolean() });

/**
 * Refuses a connection that row-level security would hold to no tenant: it
 * would read no keys and report a finished rotation, and dropping the old
 * key-encryption key afterwards would lose every subject's data.
 */
async function requireEveryTenant(pool: DatabasePool): Promise<void> {
  const view = await pool.one(sql.type(rlsView)`
    SELECT r.rolname AS role,
           r.rolsuper OR r.rolbypassrls
             OR (pg_has_role(current_user, c.relowner, 'USAGE') AND NOT c.relforcerowsecurity) AS sees_every_tenant
      FROM pg_class c, pg_roles r
     WHERE c.oid = 'personal_data_keys'::regclass AND r.rolname = current_user`);
  if (!view.sees_every_tenant)
    throw new Error(
      `role ${view.role} is held to one tenant by row-level security on personal_data_keys; ` +
        'connect as the schema owner (ADMIN_DATABASE_URL)',
    );
}

/**
 * Re-wraps every stored data key (destroyed ones hold nothing) under the
 * current key-encryption key, reading older ones with the previous keys the
 * encryption holds. The data keys themselves do not change, so no event, read
 * model or Kafka record is touched, and the processes' caches stay right.
 *
 * In batches in key order, each written by one statement that only replaces
 * the wrapped key it read: a key destroyed meanwhile stays destroyed.
 * Interrupted, a second run skips what is done, so it is resumable and
 * idempotent. Needs a pool that sees every tenant's keys (the schema owner).
 */
export async function rewrapDataKeys(
  pool: DatabasePool,
  encryption: KeyEncryption,
  options: {
    readonly batchSize?: number;
    readonly signal?: AbortSignal;
    readonly onBatch?: (soFar: RewrapReport) => void;
  } = {},
): Promise<RewrapReport> {
  await requireEveryTenant(pool);
  const batchSize = options.batchSize ?? DEFAULT_REWRAP_BATCH;
  let examined = 0;
  let rewrapped = 0;
  let alreadyCurrent = 0;
  let changedMeanwhile = 0;
  const reasons = new Map<string, number>();
  const report = (): RewrapReport => ({
    examined,
    rewrapped,
    alreadyCurrent,
    changedMeanwhile,
    unreadable: [...reasons.values()].reduce((sum, n) => sum + n, 0),
    unreadableReasons: [...reasons.keys()],
  });
  let after: { readonly tenant: string; readonly keyId: string } | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    const batch = await pool.any(sql.type(storedKey)`
      SELECT tenant_id::text, key_id, wrapped_key FROM personal_data_keys
       WHERE destroyed_at IS NULL
         AND ${after ? sql.fragment`(tenant_id, key_id) > (${after.tenant}::uuid, ${after.keyId})` : sql.fragment`true`}
       ORDER BY tenant_id, key_id
       LIMIT ${batchSize}`);
    const last = batch.at(-1);
    if (!last) return report();
    after = { tenant: last.tenant_id, keyId: last.key_id };
    examined += batch.length;
    const stale: { row: z.infer<typeof storedKey>; rewrapped: string }[] = [];
    for (const row of batch) {
      if (encryption.isCurrent(row.wrapped_key)) {
        alreadyCurrent += 1;
        continue;
      }
      let dataKey: Buffer | undefined;
      try {
        dataKey = await encryption.unwrap(row.wrapped_key);
        stale.push({ row, rewrapped: await encryption.wrap(dataKey) });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      } finally {
        dataKey?.fill(0);
      }
    }
    if (stale.length > 0) {
      const written = await pool.any(sql.type(z.object({ key_id: z.string() }))`
        UPDATE personal_data_keys k SET wrapped_key = v.rewrapped
          FROM unnest(${sql.array(
            stale.map(({ row }) => row.tenant_id),
            'uuid',
          )}, ${sql.array(
            stale.map(({ row }) => row.key_id),
            'text',
          )}, ${sql.array(
            stale.map(({ row }) => row.wrapped_key),
            'text',
          )}, ${sql.array(
            stale.map((each) => each.rewrapped),
            'text',
          )}) AS v(tenant_id, key_id, previous, rewrapped)
         WHERE k.tenant_id = v.tenant_id AND k.key_id = v.key_id AND k.wrapped_key = v.previous
        RETURNING k.key_id`);
      rewrapped += written.length;
      changedMeanwhile += stale.length - written.length;
    }
    options.onBatch?.(report());
  }
}
