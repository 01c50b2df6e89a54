import { randomBytes } from 'node:crypto';
import type { CommonQueryMethods, DatabasePool, DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { inTenantTransaction, sql } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { KeyEncryption } from './key-encryption.ts';

/**
 * A key to seal with: unwrapped for this process, and wrapped as the append that
 * uses it stores it (personal_data_keep_keys, in the append's own statement).
 */
export interface SealingKey {
  readonly tenantId: TenantId;
  readonly subject: string;
  readonly keyId: string;
  readonly key: Buffer;
  readonly wrapped: string;
}

/** A key found by its id, with the subject it belongs to (which sealed values are bound to). */
export interface SubjectKey {
  readonly key: Buffer;
  readonly subject: string;
}

/** Where sealing gets a subject's active key and opening the keys a value names. */
export interface SubjectKeyring {
  sealingKey(tenant: TenantId, subject: string): Promise<SealingKey>;
  /** The keys of these ids, by id; a destroyed (or unknown) one is absent: its data reads as erased. */
  keysById(tenant: TenantId, keyIds: readonly string[]): Promise<Map<string, SubjectKey>>;
}

const keyRow = z.object({ key_id: z.string(), subject: z.string(), wrapped_key: z.string().nullable() });

/** How long an unwrapped key stays in memory: a forget reaches the other processes within it. */
const CACHE_MS = 30_000;
/**
 * How long this process seals a subject's data with the same key. A forget in
 * another process reaches it within this time: data sealed meanwhile with a key
 * the forget destroyed is stored unreadable at once.
 */
const SEALING_MS = 5_000;
const CACHED_KEYS_AT_MOST = 10_000;

/**
 * The subjects' data keys (table personal_data_keys, which this module owns),
 * wrapped by the key-encryption key. Sealing asks the database nothing: this
 * process makes a subject's key, seals with it for SEALING_MS, and each append
 * sealed with it stores it in its own statement (keepingKeys), so the key
 * commits with the first event it seals. Unwrapped keys are kept in memory for
 * CACHE_MS at most, bounded in number, and never logged: a forgotten subject's
 * key is gone from this process at once and from the others within CACHE_MS.
 */
export class SubjectKeys implements SubjectKeyring {
  private readonly cache = new Map<
    string,
    { readonly key: SubjectKey | undefined; readonly until: number }
  >();
  private readonly sealing = new Map<string, { readonly key: Promise<SealingKey>; readonly until: number }>();

  constructor(
    private readonly pool: DatabasePool,
    private readonly encryption: KeyEncryption,
  ) {}

  /** The key this process seals the subject's data with now: made on first use, renewed after SEALING_MS. */
  sealingKey(tenant: TenantId, subject: string): Promise<SealingKey> {
    const name = `${tenant}/${subject}`;
    const current = this.sealing.get(name);
    if (current && current.until > Date.now()) return current.key;
    const key = this.made(tenant, subject);
    // A key that could not be wrapped is not kept: the next append tries again.
    key.catch(() => this.sealing.delete(name));
    if (this.sealing.size >= CACHED_KEYS_AT_MOST)
      this.sealing.delete(this.sealing.keys().next().value as string);
    this.sealing.set(name, { key, until: Date.now() + SEALING_MS });
    return key;
  }

  private async made(tenant: TenantId, subject: string): Promise<SealingKey> {
    const key = randomBytes(32);
    const made = {
      tenantId: tenant,
      subject,
      keyId: randomBytes(9).toString('base64url'),
      key,
      wrapped: await this.encryption.wrap(key),
    };
    this.remember(`${tenant}/${made.keyId}`, { key, subject });
    return made;
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
    for (const name of this.sealing.keys()) {
      if (subject === undefined ? name.startsWith(`${tenant}/`) : name === `${tenant}/${subject}`)
        this.sealing.delete(name);
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

const keptKey = z.object({ kept: z.number() });

/** The keys as personal_data_keep_keys takes them: never the unwrapped key. */
function keysJson(keys: readonly SealingKey[]): string {
  return JSON.stringify(
    keys.map(({ tenantId, subject, keyId, wrapped }) => ({ tenantId, subject, keyId, wrapped })),
  );
}

/**
 * A FROM item storing the keys an append sealed with, for the append's own
 * statement: a key commits with the first event sealed with it, in the same
 * WAL flush, and is sent again (and left as it is) by later ones.
 */
export function keepingKeys(keys: readonly SealingKey[]) {
  return sql.fragment`personal_data_keep_keys(${keysJson(keys)}::jsonb)`;
}

/** Stores keys on their own, for what seals outside an append (a bulk load). Answers how many were new. */
export async function keepKeys(db: CommonQueryMethods, keys: readonly SealingKey[]): Promise<number> {
  return db.oneFirst(sql.type(keptKey)`SELECT ${keepingKeys(keys)} AS kept`);
}
