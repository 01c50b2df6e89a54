import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';
import type { ReplayScope, ReplayWindow } from './event-store.ts';
import type { Checkpoint, RecordedEvent } from './records.ts';
import {
  checkpointRow,
  EVENT_COLUMNS,
  type EventReader,
  eventRow,
  REPLAYED_COLUMNS,
  replayedRow,
} from './rows.ts';

/**
 * The reads of every tenant's events (EventStore's methods that name no
 * tenant), for roles that see every tenant: the projector, the relay, the
 * schema owner. Nothing here sets a tenant, so the services' role finds nothing.
 */

const point = (at: Checkpoint) => sql.fragment`(${at.transactionId}::xid8, ${at.position}::bigint)`;

/** Each tenant's range as rows to join: a replay passes its bounds as data, however it keeps them. */
function scopeRows(scope: ReplayScope) {
  const ranges = [...scope.ranges];
  return sql.fragment`unnest(
      ${sql.array(
        ranges.map(([tenant]) => tenant),
        'uuid',
      )},
      ${sql.array(
        ranges.map(([, range]) => range.after.transactionId),
        'xid8',
      )},
      ${sql.array(
        ranges.map(([, range]) => range.after.position),
        'int8',
      )},
      ${sql.array(
        ranges.map(([, range]) => range.upTo.transactionId),
        'xid8',
      )},
      ${sql.array(
        ranges.map(([, range]) => range.upTo.position),
        'int8',
      )}) AS r (tenant, after_transaction_id, after_position, up_to_transaction_id, up_to_position)`;
}

/** The scope's events (r: scopeRows) of a set of events (e): in the tenant's range, of its types, not left out. */
function inScope(scope: ReplayScope) {
  return sql.fragment`r.tenant = e.tenant_id
    AND (e.transaction_id, e.global_position) > (r.after_transaction_id, r.after_position)
    AND (e.transaction_id, e.global_position) <= (r.up_to_transaction_id, r.up_to_position)
    AND e.event_type = ANY(${sql.array([...scope.types], 'text')})
    AND e.event_id <> ALL(${sql.array([...scope.except], 'uuid')})`;
}

export async function checkpointsOf(
  db: CommonQueryMethods,
  positions: readonly number[],
): Promise<ReadonlyMap<number, Checkpoint>> {
  if (positions.length === 0) return new Map();
  const rows = await db.any(sql.type(checkpointRow)`
    SELECT global_position, transaction_id FROM events_checkpoints(${sql.array([...positions], 'int8')})`);
  return new Map(
    rows.map((row) => [
      row.global_position,
      { transactionId: row.transaction_id, position: row.global_position },
    ]),
  );
}

/**
 * The window's end first (a walk of the commit-order index that reads no
 * event), then the scope's events up to it: a LIMIT over the scope's events
 * instead would make PostgreSQL read and sort all that is left of the replay
 * for every window.
 */
export async function readReplay(
  db: CommonQueryMethods,
  reader: EventReader,
  scope: ReplayScope,
  after: Checkpoint,
  upTo: Checkpoint,
  size: number,
): Promise<ReplayWindow> {
  // One tenant's replay (a per-tenant rebuild) walks that tenant's commit-order index: windows of
  // its own events, not of everyone's, of which it may be a small share.
  const [only] = scope.ranges.size === 1 ? scope.ranges.keys() : [];
  const end = await db.maybeOne(sql.type(checkpointRow)`
    SELECT e.transaction_id::text AS transaction_id, e.global_position FROM events e
     WHERE ${only === undefined ? sql.fragment`` : sql.fragment`e.tenant_id = ${only} AND`}
           (e.transaction_id, e.global_position) > ${point(after)}
       AND (e.transaction_id, e.global_position) <= ${point(upTo)}
     ORDER BY e.transaction_id, e.global_position
    OFFSET ${size - 1} LIMIT 1`);
  const next = end ? { transactionId: end.transaction_id, position: end.global_position } : undefined;
  if (scope.ranges.size === 0) return { events: [], next };
  const rows = await db.any(sql.type(replayedRow)`
    SELECT ${REPLAYED_COLUMNS} FROM events e, ${scopeRows(scope)}
     WHERE (e.transaction_id, e.global_position) > ${point(after)}
       AND (e.transaction_id, e.global_position) <= ${point(next ?? upTo)}
       AND ${inScope(scope)}
     ORDER BY e.transaction_id, e.global_position`);
  return { events: rows.map((row) => reader.toReplayed(row)), next };
}

export async function countReplay(db: CommonQueryMethods, scope: ReplayScope): Promise<number> {
  if (scope.ranges.size === 0) return 0;
  return db.oneFirst(sql.type(z.object({ count: z.number() }))`
    SELECT count(*) FROM events e, ${scopeRows(scope)} WHERE ${inScope(scope)}`);
}

export async function readEventsById(
  db: CommonQueryMethods,
  reader: EventReader,
  ids: readonly string[],
): Promise<RecordedEvent[]> {
  if (ids.length === 0) return [];
  const rows = await db.any(sql.type(eventRow)`
    SELECT ${EVENT_COLUMNS} FROM events e WHERE e.event_id = ANY(${sql.array([...ids], 'uuid')})
     ORDER BY e.transaction_id, e.global_position`);
  return rows.map((row) => reader.toRecorded(row));
}
