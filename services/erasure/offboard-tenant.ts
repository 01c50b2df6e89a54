import { randomUUID } from 'node:crypto';
import type { DatabaseTransactionConnection } from 'slonik';
import { inTenantTransaction } from '../platform/database/index.ts';
import { deleteTenantKeys } from '../platform/redis/index.ts';
import { eraseTenantReadModels } from '../readmodels/index.ts';
import type { ErasureDeps, ErasureRequest } from './erasure-deps.ts';

/** docs/privacy.md, "Offboarding a tenant": what was erased now, and what remains until when. */
export interface OffboardReport {
  readonly tenantId: string;
  readonly offboardedAt: string;
  /** The TenantOffboarded event; null when a rerun found the tenant offboarded already. */
  readonly auditEventId: string | null;
  readonly erased: {
    readonly dataKeys: number;
    readonly apiKeys: number;
    /** Rows deleted, by read-model table. */
    readonly readModelRows: Readonly<Record<string, number>>;
    /** Query-cache answers and generations, command buckets, daily event counts. */
    readonly redisKeys: number;
  };
  readonly remains: {
    /** The events stay, append-only: their metadata readable, their personal data unreadable. */
    readonly events: string;
    /** Kafka keeps the records (ciphertext for personal data) until its retention has passed; null: no limit. */
    readonly kafka: readonly { readonly topic: string; readonly retainedUntil: string | null }[];
  };
}

interface Erased {
  dataKeys: number;
  apiKeys: number;
  readModelRows: Record<string, number>;
}

/**
 * Offboards a tenant. The TenantOffboarded event, the destruction of every data
 * key, the revocation of every API key and the erasure of the read models
 * commit in one transaction; the tenant's Redis keys go after it. A crash
 * before the commit leaves the tenant as it was, one after it a tenant already
 * offboarded: running this again then decides nothing new, erases what is left
 * in the database (nothing) and in Redis, and reports done only once all of it
 * is. Its commands and queries answer 410 from the commit on.
 */
export async function offboardTenant(
  deps: ErasureDeps,
  request: ErasureRequest & { readonly reason?: string },
): Promise<OffboardReport> {
  const { tenant } = request;
  const erase = async (tx: DatabaseTransactionConnection): Promise<Erased> => ({
    dataKeys: await deps.keys.destroy(tx, tenant),
    apiKeys: await deps.apiKeys.revokeAll(tx, tenant),
    readModelRows: await eraseTenantReadModels(tx),
  });
  let erased: Erased | undefined;
  const outcome = await deps.handler.handle(
    {
      commandId: randomUUID(),
      type: 'OffboardTenant',
      aggregateId: tenant,
      payload: request.reason === undefined ? {} : { reason: request.reason },
      tenant,
      userId: request.requestedBy,
      correlationId: request.correlationId,
      ...(request.traceparent ? { traceparent: request.traceparent } : {}),
    },
    undefined,
    {
      alongside: async (tx) => {
        erased = await erase(tx);
      },
    },
  );
  // Offboarded before: nothing was appended, so nothing went alongside.
  erased ??= await inTenantTransaction(deps.pool, tenant, erase);
  const redisKeys = await deleteTenantKeys(deps.redis, tenant);
  const now = deps.now?.() ?? new Date();
  return {
    tenantId: tenant,
    offboardedAt: now.toISOString(),
    auditEventId: outcome.eventIds[0] ?? null,
    erased: { ...erased, redisKeys },
    remains: {
      events:
        'every event, append-only: metadata readable, personal data unreadable (its keys are destroyed)',
      kafka: deps.retention.map(({ topic, retentionMs }) => ({
        topic,
        retainedUntil: retentionMs < 0 ? null : new Date(now.getTime() + retentionMs).toISOString(),
      })),
    },
  };
}
