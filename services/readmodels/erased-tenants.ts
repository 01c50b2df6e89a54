import type { DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';
import type { ProjectedEvent } from './projection.ts';

/**
 * The events whose tenants' read models were not erased. Holds each tenant's
 * read-model lock shared until the transaction ends, so an offboarding waits
 * for this batch and deletes what it wrote, or this batch waits for it and
 * writes nothing: a late event never brings an erased tenant's row back.
 */
export async function withoutErasedTenants(
  tx: DatabaseTransactionConnection,
  events: readonly ProjectedEvent[],
): Promise<readonly ProjectedEvent[]> {
  if (events.length === 0) return events;
  const tenants = [...new Set(events.map((event) => event.tenantId))];
  const erased = new Set(
    await tx.oneFirst(sql.type(z.object({ erased: z.array(z.string()) }))`
      SELECT readmodels.erased_among(${sql.array(tenants, 'uuid')})::text[] AS erased`),
  );
  return erased.size === 0 ? events : events.filter((event) => !erased.has(event.tenantId));
}

/**
 * Deletes every read-model row of the transaction's own tenant (live and in
 * any rebuild's shadow) and marks the tenant erased, for projections to skip
 * its events from then on. The rows deleted, by table; again, all zero.
 */
export async function eraseTenantReadModels(
  tx: DatabaseTransactionConnection,
): Promise<Record<string, number>> {
  return tx.oneFirst(sql.type(z.object({ deleted: z.record(z.string(), z.number().int()) }))`
    SELECT readmodels.erase_tenant() AS deleted`);
}
