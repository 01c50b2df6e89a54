import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';

/** Rows waiting to be published, and how long the oldest has waited. */
export interface OutboxBacklog {
  readonly rows: number;
  readonly oldestAgeSeconds: number;
}

/** One lane: the replica whose lease covers it now, if any, and the rows waiting in it. */
export interface LaneState {
  readonly lane: number;
  /** The replica holding an unexpired lease on it; null while nobody does (it waits for a claim). */
  readonly holder: string | null;
  /** Grows with every change of holder. */
  readonly epoch: number;
  readonly expiresAt: Date | null;
  readonly backlog: number;
}

/** A replica that announced itself lately (relay_replicas). */
export interface RelayReplica {
  readonly replica: string;
  readonly seenAt: Date;
}

/** A tenant stopped at an event the relay cannot encode: its rows wait until it is resumed. */
export interface HaltedTenant {
  readonly tenantId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly reason: string;
  readonly haltedAt: Date;
}

const backlogRow = z.object({ rows: z.number(), oldest_age_seconds: z.number() });
const laneRow = z.object({
  lane: z.number(),
  holder: z.string().nullable(),
  epoch: z.number(),
  expires_at: z.number().nullable(),
  backlog: z.number(),
});
const replicaRow = z.object({ replica: z.string(), seen_at: z.number() });
const haltedRow = z.object({
  tenant_id: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  reason: z.string(),
  halted_at: z.number(),
});
const tenantRow = z.object({ tenant_id: z.string() });

/** Rows waiting and the age of the oldest: the relay's backlog gauges and the console read the same. */
export async function outboxBacklog(db: CommonQueryMethods): Promise<OutboxBacklog> {
  const row = await db.one(sql.type(backlogRow)`
    SELECT count(*) AS rows,
           coalesce(extract(epoch FROM now() - min(enqueued_at)), 0)::float8 AS oldest_age_seconds
      FROM outbox
  `);
  return { rows: row.rows, oldestAgeSeconds: row.oldest_age_seconds };
}

/**
 * Every lane with its holder: a lease that lapsed unrenewed counts as held by
 * nobody, as LaneLeases.claim sees it. The backlog is counted per lane
 * (the outbox holds only unpublished rows, through the lane index).
 */
export async function laneStates(db: CommonQueryMethods): Promise<LaneState[]> {
  const rows = await db.any(sql.type(laneRow)`
    SELECT l.lane, CASE WHEN l.expires_at > now() THEN l.holder END AS holder, l.epoch,
           CASE WHEN l.expires_at > now() THEN l.expires_at END AS expires_at,
           (SELECT count(*) FROM outbox o WHERE o.lane = l.lane) AS backlog
      FROM relay_lanes l ORDER BY l.lane
  `);
  return rows.map((row) => ({
    lane: row.lane,
    holder: row.holder,
    epoch: row.epoch,
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
    backlog: row.backlog,
  }));
}

export async function relayReplicas(db: CommonQueryMethods): Promise<RelayReplica[]> {
  const rows = await db.any(sql.type(replicaRow)`
    SELECT replica, seen_at FROM relay_replicas ORDER BY replica
  `);
  return rows.map((row) => ({ replica: row.replica, seenAt: new Date(row.seen_at) }));
}

export async function haltedTenants(db: CommonQueryMethods): Promise<HaltedTenant[]> {
  const rows = await db.any(sql.type(haltedRow)`
    SELECT tenant_id, event_id, event_type, reason, halted_at FROM relay_halted_tenants ORDER BY halted_at
  `);
  return rows.map((row) => ({
    tenantId: row.tenant_id,
    eventId: row.event_id,
    eventType: row.event_type,
    reason: row.reason,
    haltedAt: new Date(row.halted_at),
  }));
}

/**
 * Lets a halted tenant's events go again, from the one that halted it (fix its
 * schema first, or it halts once more). Every relay replica notices within a
 * second and reads its lanes again from their oldest row. False when the
 * tenant was not halted.
 */
export async function resumeTenant(db: CommonQueryMethods, tenant: TenantId): Promise<boolean> {
  const resumed = await db.maybeOne(sql.type(tenantRow)`
    DELETE FROM relay_halted_tenants WHERE tenant_id = ${tenant} RETURNING tenant_id
  `);
  return resumed !== null;
}
