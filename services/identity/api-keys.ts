import { hash as digest, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { inTenantTransaction, sql } from '../platform/database/index.ts';
import { NotFoundError } from '../platform/errors/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import { type Principal, type TenantRole, tenantRoles } from './principal.ts';
import { RecentLookups } from './recent-lookups.ts';

/** el_<key id>_<secret>: the id finds the row, the secret proves possession. */
const KEY_FORMAT = /^el_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;

// One-shot: about a fifth less CPU than createHash().update().digest(), on every request with a key.
function hash(secret: string): Buffer {
  return digest('sha256', secret, 'buffer');
}

export interface IssuedApiKey {
  readonly keyId: string;
  /** Shown once, to the caller who created it; only its hash is stored. */
  readonly apiKey: string;
  readonly roles: readonly TenantRole[];
}

const keyRow = z.object({
  tenant_id: z.string(),
  secret_hash: z.instanceof(Buffer),
  roles: z.array(z.enum(tenantRoles)),
  revoked: z.boolean(),
});

type KeyRow = z.infer<typeof keyRow>;

const KEY_ID = /^[a-f0-9]{16}$/;

export interface ApiKeySummary {
  readonly keyId: string;
  readonly roles: readonly TenantRole[];
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

const keySummaryRow = z.object({
  key_id: z.string(),
  roles: z.array(z.enum(tenantRoles)),
  created_at: z.number(),
  revoked_at: z.number().nullable(),
});

/** A tenant's keys listed at most; more than this is a tenant to talk to, not to page through. */
const KEYS_LISTED_AT_MOST = 500;

function principalOf(keyId: string, row: KeyRow): Principal {
  return {
    kind: 'tenant',
    tenant: row.tenant_id as TenantId,
    subject: `api-key:${keyId}`,
    roles: row.roles,
    via: 'api-key',
  };
}

/** Keys remembered at most; past it the oldest is forgotten first. */
const CACHED_KEYS_AT_MOST = 10_000;

/**
 * Keys are looked up about once per cacheMs per process rather than on every
 * request (profiled: a round trip per command). A revocation holds at once on
 * the process that revoked and within cacheMs on the others.
 */
export class ApiKeys {
  private readonly keys: RecentLookups<string, KeyRow | null>;

  constructor(
    private readonly pool: DatabasePool,
    cacheMs = 1000,
  ) {
    this.keys = new RecentLookups((keyId) => this.lookUp(keyId), {
      maxAgeMs: cacheMs,
      maxEntries: CACHED_KEYS_AT_MOST,
      // Only keys that exist: made-up ids must not fill the cache.
      keep: (row) => row !== null,
    });
  }

  /** Issues a key inside the caller's tenant transaction (so it commits with what created the tenant). */
  async issue(
    tx: DatabaseTransactionConnection,
    tenant: TenantId,
    roles: readonly TenantRole[],
  ): Promise<IssuedApiKey> {
    const keyId = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    await tx.query(sql.typeAlias('void')`
      INSERT INTO api_keys (key_id, tenant_id, secret_hash, roles)
      VALUES (${keyId}, ${tenant}, ${sql.binary(hash(secret))}, ${sql.array([...roles], 'text')})`);
    return { keyId, apiKey: `el_${keyId}_${secret}`, roles };
  }

  async issueFor(tenant: TenantId, roles: readonly TenantRole[]): Promise<IssuedApiKey> {
    return inTenantTransaction(this.pool, tenant, (tx) => this.issue(tx, tenant, roles));
  }

  async revoke(tenant: TenantId, keyId: string): Promise<void> {
    const result = await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.query(sql.typeAlias('void')`
        UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
         WHERE tenant_id = ${tenant} AND key_id = ${keyId}`),
    );
    this.keys.forget(keyId);
    if (result.rowCount === 0) throw new NotFoundError(`no API key ${keyId}`);
  }

  /**
   * Revokes every key of the tenant still valid, inside the caller's tenant
   * transaction (an offboarding's), and forgets them here; how many.
   */
  async revokeAll(tx: DatabaseTransactionConnection, tenant: TenantId): Promise<number> {
    const revoked = await tx.anyFirst(sql.type(z.object({ key_id: z.string() }))`
      UPDATE api_keys SET revoked_at = now()
       WHERE tenant_id = ${tenant} AND revoked_at IS NULL
      RETURNING key_id`);
    for (const keyId of revoked) this.keys.forget(keyId);
    return revoked.length;
  }

  /** The principal a key stands for, or undefined for a malformed, unknown, wrong or revoked key. */
  async authenticate(apiKey: string): Promise<Principal | undefined> {
    const match = KEY_FORMAT.exec(apiKey);
    if (!match) return undefined;
    const [, keyId = '', secret = ''] = match;
    const row = await this.keys.get(keyId);
    if (!row || row.revoked || !timingSafeEqual(hash(secret), row.secret_hash)) return undefined;
    return principalOf(keyId, row);
  }

  /**
   * The principal of a key proven once already (a console session keeps its id,
   * never the key), or undefined once it is revoked.
   */
  async principalOfKeyId(keyId: string): Promise<Principal | undefined> {
    if (!KEY_ID.test(keyId)) return undefined;
    const row = await this.keys.get(keyId);
    return row && !row.revoked ? principalOf(keyId, row) : undefined;
  }

  /** A tenant's keys, newest first: ids, roles and dates, never a secret or its hash. */
  async list(tenant: TenantId): Promise<ApiKeySummary[]> {
    const rows = await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.any(sql.type(keySummaryRow)`
        SELECT key_id, roles, created_at, revoked_at FROM api_keys
         WHERE tenant_id = ${tenant} ORDER BY created_at DESC, key_id LIMIT ${KEYS_LISTED_AT_MOST}`),
    );
    return rows.map((row) => ({
      keyId: row.key_id,
      roles: row.roles,
      createdAt: new Date(row.created_at),
      revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
    }));
  }

  private async lookUp(keyId: string): Promise<KeyRow | null> {
    return this.pool.maybeOne(sql.type(keyRow)`
      SELECT tenant_id, secret_hash, roles, revoked FROM api_key_for_authentication(${keyId})`);
  }
}
