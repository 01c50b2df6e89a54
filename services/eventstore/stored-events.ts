import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';

/** An event as a Kafka record names it: the tenant (its key) and the event id. */
export interface EventRef {
  readonly tenantId: string;
  readonly eventId: string;
}

export interface StoreHoldings {
  /** The refs the store holds (or a tenant's recovery withdrew), as `<tenant id>/<event id>`. */
  readonly stored: ReadonlySet<string>;
  /** The lowest transaction id a transaction starting now may take (its snapshot's xmax). */
  readonly nextTransaction: string;
  /** The last position the events' sequence handed out: the next event's is higher. */
  readonly positionHorizon: string;
}

const storedRow = z.object({ tenant_id: z.string(), event_id: z.string() });

/**
 * Which of these events the store holds, for a role that sees every tenant
 * (the relay checking what Kafka holds against the store after a restore). An
 * event a tenant's recovery withdrew counts as held: the recovery took it out
 * on purpose, and its record stays on Kafka (docs/recovery.md).
 */
export async function storeHoldings(
  db: CommonQueryMethods,
  refs: readonly EventRef[],
): Promise<StoreHoldings> {
  const rows =
    refs.length === 0
      ? []
      : await db.any(sql.type(storedRow)`
          SELECT r.tenant_id::text AS tenant_id, r.event_id::text AS event_id
            FROM unnest(${sql.array(
              refs.map((ref) => ref.tenantId),
              'uuid',
            )}, ${sql.array(
              refs.map((ref) => ref.eventId),
              'uuid',
            )}) AS r(tenant_id, event_id)
           WHERE EXISTS (SELECT FROM events e WHERE e.event_id = r.event_id AND e.tenant_id = r.tenant_id)
              OR EXISTS (SELECT FROM events_withdrawn w WHERE w.event_id = r.event_id AND w.tenant_id = r.tenant_id)`);
  const horizons = await db.one(sql.type(z.object({ transaction: z.string(), position: z.string() }))`
    SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS transaction,
           events_position_horizon()::text AS position`);
  return {
    stored: new Set(rows.map((row) => `${row.tenant_id}/${row.event_id}`)),
    nextTransaction: horizons.transaction,
    positionHorizon: horizons.position,
  };
}
