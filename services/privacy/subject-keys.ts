import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { inTenantTransaction, sql } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import { ActiveKeyLookups } from './active-key-lookups.ts';
import type { KeyEncryption } from './key-encryption.ts';

/** A subject's data key, unwrapped. */
export interface DataKey {
  readonly keyId: string;
  readonly key: Buffer;
}

/** A key found by its id, with the subject it belongs to (which sealed values are bound to). */
export interface SubjectKey {
  readonly key: Buffer;
  readonly subject: string;
}

/** Where sealing gets a subject's active key and opening the keys a value names. */
export interface SubjectKeyring {
  activeKey(tenant: TenantId, subject: string): Promise<DataKey>;
  /** The keys of these ids, by id; a destroyed (or unknown) one is absent: its data reads as erased. */
  keysById(tenant: TenantId, keyIds: readonly string[]): Promise<Map<string, SubjectKey>>;
}

const keyRow = z.object({ key_id: z.string(), subject: z.string(), wrapped_key: z.string().nullable() });

/** How long an unwrapped key stays in memory: a forget reaches the other processes within it. */
const CACHE_MS = 30_000;
/** How long a subject's active key is reused for sealing without asking the database. */
const ACTIVE_MS = 5_000;
const CACHED_KEYS_AT_MOST = 10_000;

/**
 * The subjects' data keys (table personal_data_keys, which this module owns),
 * wrapped by the key-encryption key. Unwrapped keys are kept in memory for
 * CACHE_MS at most, bounded in number, and never logged: a forgotten subject's
 * key is gone from this process at once and from the others within CACHE_MS.
 */
export class SubjectKeys implements SubjectKeyring {
  private readonly cache = new Map<
    string,
    { readonly key: SubjectKey | undefined; readonly until: number }
  >();
  private readonly active = new Map<string, { readonly key: DataKey; readonly until: number }>();

  private readonly lookups: ActiveKeyLookups;

  constructor(
    private readonly pool: DatabasePool,
    private readonly encryption: KeyEncryption,
  ) {
    this.lookups = new ActiveKeyLookups(pool, encryption);
  }

  /**
   * The subject's active key, made (and stored wrapped) on first use. Remembered
   * for ACTIVE_MS: appends for a subject whose key another process destroyed
   * meanwhile are sealed with it and so stored erased at once, never readable.
   */
  async activeKey(tenant: TenantId, subject: string): Promise<DataKey> {
    const remembered = this.active.get(`${tenant}/${subject}`);
    if (remembered && remembered.until > Date.now()) return remembered.key;
    const { keyId, wrapped } = await this.lookups.lookUp(tenant, subject);
    const unwrapped =
      this.cache.get(`${tenant}/${keyId}`)?.key?.key ?? (await this.encryption.unwrap(wrapped));
    this.remember(`${tenant}/${keyId}`, { key: unwrapped, subject });
    const key = { keyId, key: unwrapped };
    if (this.active.size >= CACHED_KEYS_AT_MOST)
      this.active.delete(this.active.keys().next().value as string);
    this.active.set(`${tenant}/${subject}`, { key, until: Date.now() + ACTIVE_MS });
    return key;
  }

  async keysById(tenant: TenantId, keyIds: readonly string[]): Promise<Map<string, SubjectKey>> {
    const found = new Map<string, SubjectKey>();
    const missing: string[] = [];
    for (const keyId of new Set(keyIds)) {
      const cached = this.cache.get(`${tenant}/${keyId}`);
      if (cached && cached.until > Date.now()) {
        if (cached.key) found.set(keyId, cached.key);
      } else missing.push(keyId);
    }
    if (missing.length === 0) return found;
    const rows = await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.any(sql.type(keyRow)`
        SELECT key_id, subject, wrapped_key FROM personal_data_keys
         WHERE tenant_id = ${tenant} AND key_id = ANY(${sql.array(missing, 'text')})`),
    );
    for (const keyId of missing) {
      const row = rows.find((candidate) => candidate.key_id === keyId);
      const key = row?.wrapped_key
        ? { key: await this.encryption.unwrap(row.wrapped_key), subject: row.subject }
        : undefined;
      this.remember(`${tenant}/${keyId}`, key);
      if (key) found.set(keyId, key);
    }
    return found;
  }

  /**
   * The ids of every key the subject has had in the tenant, destroyed ones
   * included: what finds the values sealed for the subject wherever they were
   * copied (their text starts with sealedPrefix(keyId)), readable or erased.
   */
  async keyIdsOf(tenant: TenantId, subject: string): Promise<string[]> {
    const rows = await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.any(sql.type(z.object({ key_id: z.string() }))`
        SELECT key_id FROM personal_data_keys
         WHERE tenant_id = ${tenant} AND subject = ${subject}
         ORDER BY created_at, key_id`),
    );
    return rows.map((row) => row.key_id);
  }

  /**
   * destroySubjectKeys, and the destroyed keys forgotten here at once (the
   * other processes forget them within CACHE_MS).
   */
  async destroy(tx: DatabaseTransactionConnection, tenant: TenantId, subject?: string): Promise<number> {
    const destroyed = await destroySubjectKeys(tx, tenant, subject);
    for (const keyId of destroyed) this.cache.delete(`${tenant}/${keyId}`);
    for (const name of this.active.keys()) {
      if (subject === undefined ? name.startsWith(`${tenant}/`) : name === `${tenant}/${subject}`)
        this.active.delete(name);
    }
    return destroyed.length;
  }

  private remember(name: string, key: SubjectKey | undefined): void {
    if (this.cache.size >= CACHED_KEYS_AT_MOST) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(name, { key, until: Date.now() + CACHE_MS });
  }
}

/**
 * Destroys a subject's data keys (all of the tenant's without a subject),
 * inside the caller's transaction: everything sealed with them, wherever it was
 * copied, can no longer be read. Needs no key-encryption key, so keys can be
 * destroyed whatever the process holds. The ids destroyed now: none when
 * already forgotten, so forgetting again is harmless.
 */
export async function destroySubjectKeys(
  tx: DatabaseTransactionConnection,
  tenant: TenantId,
  subject?: string,
): Promise<readonly string[]> {
  return tx.anyFirst(sql.type(z.object({ key_id: z.string() }))`
    UPDATE personal_data_keys SET wrapped_key = NULL, destroyed_at = now()
     WHERE tenant_id = ${tenant} AND destroyed_at IS NULL
       AND ${subject === undefined ? sql.fragment`true` : sql.fragment`subject = ${subject}`}
    RETURNING key_id`);
}
