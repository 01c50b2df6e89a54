import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';

/** Where one projection stands on one partition: its checkpoint, and what it tracks and parked. */
export interface PartitionCheckpoint {
  readonly projection: string;
  readonly topic: string;
  readonly partition: number;
  /** The offset of the next record it will apply. */
  readonly nextOffset: number;
  readonly updatedAt: Date;
  /** Tenants it keeps a watermark of (read-your-writes). */
  readonly tenants: number;
  /** Events of the projection parked on its dead-letter topic. */
  readonly parked: number;
}

const checkpointRow = z.object({
  projection: z.string(),
  topic: z.string(),
  partition: z.number().int(),
  next_offset: z.number().int(),
  updated_at: z.number(),
  tenants: z.number().int(),
  parked: z.number().int(),
});

/** Every projection's checkpoint of every partition, as the projector committed them with its writes. */
export async function partitionCheckpoints(pool: DatabasePool): Promise<PartitionCheckpoint[]> {
  const rows = await pool.any(sql.type(checkpointRow)`
    SELECT c.projection, c.topic, c.partition, c.next_offset, c.updated_at,
           (SELECT count(*) FROM readmodels.watermarks w WHERE w.projection = c.projection)::int AS tenants,
           (SELECT count(*) FROM readmodels.dead_letters d WHERE d.projection = c.projection)::int AS parked
      FROM readmodels.checkpoints c ORDER BY c.projection, c.topic, c.partition`);
  return rows.map((row) => ({
    projection: row.projection,
    topic: row.topic,
    partition: row.partition,
    nextOffset: row.next_offset,
    updatedAt: new Date(row.updated_at),
    tenants: row.tenants,
    parked: row.parked,
  }));
}

/** A rebuild of a projection: running (resumable) or swapped in, and how far it got. */
export interface RebuildState {
  readonly projection: string;
  readonly state: string;
  readonly pass: number;
  readonly eventsApplied: number;
  readonly eventsTotal: number;
  readonly startedAt: Date;
  readonly updatedAt: Date;
  readonly swappedAt: Date | null;
}

const rebuildRow = z.object({
  projection: z.string(),
  state: z.string(),
  pass: z.number().int(),
  events_applied: z.number().int(),
  events_total: z.number().int(),
  started_at: z.number(),
  updated_at: z.number(),
  swapped_at: z.number().nullable(),
});

export async function rebuildStates(pool: DatabasePool): Promise<RebuildState[]> {
  const rows = await pool.any(sql.type(rebuildRow)`
    SELECT projection, state, pass, events_applied, events_total, started_at, updated_at, swapped_at
      FROM readmodels.rebuilds ORDER BY projection`);
  return rows.map((row) => ({
    projection: row.projection,
    state: row.state,
    pass: row.pass,
    eventsApplied: row.events_applied,
    // The total is counted when a pass starts; events appended since make "applied" the larger.
    eventsTotal: Math.max(row.events_total, row.events_applied),
    startedAt: new Date(row.started_at),
    updatedAt: new Date(row.updated_at),
    swappedAt: row.swapped_at === null ? null : new Date(row.swapped_at),
  }));
}

/** An event a projection parked on its dead-letter topic, as the projector recorded it. */
export interface ParkedEvent {
  readonly projection: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly tenantId: string;
  readonly error: string;
  readonly attempts: number;
  readonly parkedAt: Date;
  readonly replayedAt: Date | null;
}

const parkedRow = z.object({
  projection: z.string(),
  topic: z.string(),
  partition: z.number().int(),
  kafka_offset: z.number().int(),
  event_id: z.string(),
  event_type: z.string(),
  tenant_id: z.string(),
  error: z.string(),
  attempts: z.number().int(),
  parked_at: z.number(),
  replayed_at: z.number().nullable(),
});

/** The parked events, of one projection or all, oldest first. */
export async function parkedEvents(pool: DatabasePool, projection?: string): Promise<ParkedEvent[]> {
  const rows = await pool.any(sql.type(parkedRow)`
    SELECT projection, topic, partition, kafka_offset, event_id, event_type, tenant_id, error, attempts,
           parked_at, replayed_at
      FROM readmodels.dead_letters
     WHERE ${projection === undefined ? sql.fragment`true` : sql.fragment`projection = ${projection}`}
     ORDER BY parked_at, projection, event_id`);
  return rows.map((row) => ({
    projection: row.projection,
    topic: row.topic,
    partition: row.partition,
    offset: row.kafka_offset,
    eventId: row.event_id,
    eventType: row.event_type,
    tenantId: row.tenant_id,
    error: row.error,
    attempts: row.attempts,
    parkedAt: new Date(row.parked_at),
    replayedAt: row.replayed_at === null ? null : new Date(row.replayed_at),
  }));
}
