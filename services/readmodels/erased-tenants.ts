import type { DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';
import type { ProjectedEvent } from './projection.ts';

/**
 * Per transaction, the tenants already looked at and whether they were erased.
 * Their locks are held until it ends, so the answer stands for the rest of it,
 * and the other projections of a round (three share the orders topic's) skip
 * the round trip. Keyed by the transaction's connection object, which slonik
 * makes anew for each transaction and savepoint: a savepoint asks again, as a
 * lock taken in it goes if it is rolled back.
 */
const looked = new WeakMap<DatabaseTransactionConnection, Map<string, boolean>>();

const erasedAmong = z.object({ erased: z.array(z.string()) });

/**
 * Tenants a statement of this transaction has locked shared and looked up
 * already (a live round's opening, readmodels.open_live_round): their events
 * are filtered without a round trip of their own.
 */
export function rememberErasure(
  tx: DatabaseTransactionConnection,
  erased: ReadonlyMap<string, boolean>,
): void {
  let known = looked.get(tx);
  if (!known) looked.set(tx, (known = new Map()));
  for (const [tenant, isErased] of erased) known.set(tenant, isErased);
}

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
  let known = looked.get(tx);
  if (!known) looked.set(tx, (known = new Map()));
  const unknown = [...new Set(events.map((event) => event.tenantId))].filter((tenant) => !known.has(tenant));
  if (unknown.length > 0) {
    const erased = new Set(
      await tx.oneFirst(sql.type(erasedAmong)`
        SELECT readmodels.erased_among(${sql.array(unknown, 'uuid')})::text[] AS erased`),
    );
    for (const tenant of unknown) known.set(tenant, erased.has(tenant));
  }
  return events.some((event) => known.get(event.tenantId))
    ? events.filter((event) => !known.get(event.tenantId))
    : events;
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
