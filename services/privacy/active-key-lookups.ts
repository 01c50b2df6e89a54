import { randomBytes } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { KeyEncryption } from './key-encryption.ts';

/** A subject's active key as stored: still wrapped. */
export interface WrappedActiveKey {
  readonly subject: string;
  readonly keyId: string;
  readonly wrapped: string;
}

interface Request {
  readonly subject: string;
  resolve(key: WrappedActiveKey): void;
  reject(error: unknown): void;
}

const activeRow = z.object({ subject: z.string(), key_id: z.string(), wrapped_key: z.string() });

/**
 * Subjects' active keys from the database, for sealing: one round trip finds
 * a run of subjects' keys (personal_data_active_keys, migration 2002), a
 * second makes the missing ones. While a tenant's lookup is in flight, its
 * next requests queue and then go together, so under load many appends share
 * one statement; alone, a request goes at once. A key is made (and wrapped,
 * which a KMS may charge for) only for a subject found without one.
 */
export class ActiveKeyLookups {
  private readonly queued = new Map<TenantId, Request[]>();
  private readonly inFlight = new Set<TenantId>();

  constructor(
    private readonly pool: DatabasePool,
    private readonly encryption: KeyEncryption,
  ) {}

  lookUp(tenant: TenantId, subject: string): Promise<WrappedActiveKey> {
    return new Promise((resolve, reject) => {
      const queue = this.queued.get(tenant) ?? [];
      queue.push({ subject, resolve, reject });
      this.queued.set(tenant, queue);
      this.pump(tenant);
    });
  }

  private pump(tenant: TenantId): void {
    const batch = this.queued.get(tenant);
    if (this.inFlight.has(tenant) || !batch) return;
    this.queued.delete(tenant);
    this.inFlight.add(tenant);
    void this.answer(tenant, batch).finally(() => {
      this.inFlight.delete(tenant);
      this.pump(tenant);
    });
  }

  private async answer(tenant: TenantId, batch: readonly Request[]): Promise<void> {
    try {
      const subjects = [...new Set(batch.map((request) => request.subject))];
      const found = await this.call(tenant, subjects, []);
      const missing = subjects.filter((subject) => !found.has(subject));
      if (missing.length > 0) {
        const made = await Promise.all(
          missing.map(async (subject) => ({
            subject,
            keyId: randomBytes(9).toString('base64url'),
            wrapped: await this.encryption.wrap(randomBytes(32)),
          })),
        );
        for (const [subject, key] of await this.call(tenant, missing, made)) found.set(subject, key);
      }
      for (const request of batch) {
        const key = found.get(request.subject);
        if (key) request.resolve(key);
        else request.reject(new Error(`no active key for a subject of tenant ${tenant} after making one`));
      }
    } catch (error) {
      for (const request of batch) request.reject(error);
    }
  }

  private async call(
    tenant: TenantId,
    subjects: readonly string[],
    made: readonly { readonly keyId: string; readonly wrapped: string }[],
  ): Promise<Map<string, WrappedActiveKey>> {
    const rows = await this.pool.any(sql.type(activeRow)`
      SELECT subject, key_id, wrapped_key
        FROM personal_data_active_keys(${tenant}, ${sql.array(subjects, 'text')},
                                       ${sql.array(
                                         made.map((key) => key.keyId),
                                         'text',
                                       )}, ${sql.array(
                                         made.map((key) => key.wrapped),
                                         'text',
                                       )})`);
    return new Map(
      rows.map((row) => [row.subject, { subject: row.subject, keyId: row.key_id, wrapped: row.wrapped_key }]),
    );
  }
}
