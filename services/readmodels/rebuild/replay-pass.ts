import type { DatabaseTransactionConnection, IdentifierSqlToken } from 'slonik';
import { z } from 'zod';
import { sql } from '../../platform/database/index.ts';
import type { Projection, ReadModelTarget } from '../projection.ts';
import { projectedEvent, STORED_EVENT_COLUMNS, type StoredEventRow, type Upcast } from '../stored-events.ts';

/**
 * A replay pass: each tenant's events after what the target tables hold
 * (`applied`) up to `target`, in the order the live projection applied them.
 * That order is commit order, (transaction id, position), except that a parked
 * event `eventline dlq replay` applied later sits right after the watermark its
 * tenant had then (its anchor), as the consistency check replays it.
 *
 * Bounding each tenant by a watermark the live projection reached also keeps
 * the pass below the snapshot xmin: the relay publishes an event only once every
 * older transaction has ended, so nothing at or below a watermark commits late.
 *
 * The cursor is a point in commit order: every event of the pass anchored at or
 * before it has been applied.
 */
export interface PassCursor {
  readonly transactionId: string;
  readonly position: number;
}

export const PASS_START: PassCursor = { transactionId: '0', position: 0 };

const passCursor = z.object({ transactionId: z.string(), position: z.number().int() });

interface PassRow extends StoredEventRow {
  readonly anchor_transaction_id: string;
  readonly anchor_position: number;
  readonly replayed: number;
}

/**
 * Sets every tenant's target to the projection's live watermark (adding tenants
 * new since the last pass) and returns where the pass starts: the least
 * `applied` of the tenants it has work for.
 */
export async function openPass(
  tx: DatabaseTransactionConnection,
  projection: Projection,
  tenants: IdentifierSqlToken,
): Promise<PassCursor> {
  await tx.query(sql.typeAlias('void')`
    INSERT INTO ${tenants} (projection, tenant_id, target_transaction_id, target_position)
    SELECT ${projection.name}, tenant_id, transaction_id, global_position FROM readmodels.watermarks
     WHERE projection = ${projection.name}
    ON CONFLICT (projection, tenant_id) DO UPDATE
      SET target_transaction_id = EXCLUDED.target_transaction_id, target_position = EXCLUDED.target_position`);
  const start = await tx.maybeOne(sql.type(passCursor)`
    SELECT applied_transaction_id::text AS "transactionId", applied_position AS position FROM ${tenants}
     WHERE projection = ${projection.name}
       AND (applied_transaction_id, applied_position) < (target_transaction_id, target_position)
     ORDER BY applied_transaction_id, applied_position LIMIT 1`);
  // No tenant behind its target: the pass starts (and ends) at its end.
  return start ?? (await passEnd(tx, projection, tenants)) ?? PASS_START;
}

/** The pass is through: every tenant's tables now hold its events up to its target. */
export async function closePass(
  tx: DatabaseTransactionConnection,
  projection: Projection,
  tenants: IdentifierSqlToken,
): Promise<void> {
  await tx.query(sql.typeAlias('void')`
    UPDATE ${tenants} SET applied_transaction_id = target_transaction_id, applied_position = target_position
     WHERE projection = ${projection.name}
       AND (applied_transaction_id, applied_position) <> (target_transaction_id, target_position)`);
}

/** How many events the pass will apply: the denominator of a rebuild's progress. */
export async function countPass(
  tx: DatabaseTransactionConnection,
  projection: Projection,
  tenants: IdentifierSqlToken,
): Promise<number> {
  const end = await passEnd(tx, projection, tenants);
  if (!end) return 0;
  return (await tx.oneFirst(sql.unsafe`
    SELECT count(*) FROM (${passRows(projection, tenants, PASS_START, end)}) pass`)) as number;
}

/** The last point of the pass: its greatest target. */
async function passEnd(
  tx: DatabaseTransactionConnection,
  projection: Projection,
  tenants: IdentifierSqlToken,
): Promise<PassCursor | null> {
  return tx.maybeOne(sql.type(passCursor)`
    SELECT target_transaction_id::text AS "transactionId", target_position AS position FROM ${tenants}
     WHERE projection = ${projection.name}
     ORDER BY target_transaction_id DESC, target_position DESC LIMIT 1`);
}

/**
 * The point `limit` events after `after` in commit order (every tenant, every
 * type: a walk of the commit-order index), or null when fewer remain before `end`.
 */
async function windowEnd(
  tx: DatabaseTransactionConnection,
  after: PassCursor,
  end: PassCursor,
  limit: number,
): Promise<PassCursor | null> {
  return (await tx.maybeOne(sql.unsafe`
    SELECT transaction_id::text AS "transactionId", global_position AS position FROM events
     WHERE (transaction_id, global_position) > (${after.transactionId}::xid8, ${after.position}::bigint)
       AND (transaction_id, global_position) <= (${end.transactionId}::xid8, ${end.position}::bigint)
     ORDER BY transaction_id, global_position
    OFFSET ${limit - 1} LIMIT 1`)) as PassCursor | null;
}

/** The pass's events anchored in (after, until]: a bounded range of the commit-order index. */
function passRows(projection: Projection, tenants: IdentifierSqlToken, after: PassCursor, until: PassCursor) {
  const types = sql.array(Object.keys(projection.handlers), 'text');
  const window = (anchor: ReturnType<typeof sql.fragment>) => sql.fragment`
    ${anchor} > (${after.transactionId}::xid8, ${after.position}::bigint)
    AND ${anchor} <= (${until.transactionId}::xid8, ${until.position}::bigint)
    AND ${anchor} > (t.applied_transaction_id, t.applied_position)
    AND ${anchor} <= (t.target_transaction_id, t.target_position)`;
  const replayedAfter = sql.fragment`(coalesce(d.replayed_after_transaction_id, '0'::xid8),
                                      coalesce(d.replayed_after_position, 0))`;
  return sql.fragment`
    SELECT ${STORED_EVENT_COLUMNS},
           e.transaction_id AS anchor_transaction_id, e.global_position AS anchor_position, 0 AS replayed
      FROM events e
      JOIN ${tenants} t ON t.projection = ${projection.name} AND t.tenant_id = e.tenant_id
     WHERE ${window(sql.fragment`(e.transaction_id, e.global_position)`)}
       AND e.event_type = ANY(${types})
       AND NOT EXISTS (SELECT FROM readmodels.dead_letters d
                        WHERE d.projection = ${projection.name} AND d.event_id = e.event_id)
    UNION ALL
    SELECT ${STORED_EVENT_COLUMNS},
           coalesce(d.replayed_after_transaction_id, '0'::xid8), coalesce(d.replayed_after_position, 0), 1
      FROM readmodels.dead_letters d
      JOIN events e ON e.tenant_id = d.tenant_id AND e.event_id = d.event_id
      JOIN ${tenants} t ON t.projection = ${projection.name} AND t.tenant_id = e.tenant_id
     WHERE d.projection = ${projection.name} AND d.replayed_at IS NOT NULL
       AND ${window(replayedAfter)}
       AND e.event_type = ANY(${types})`;
}

export interface PageOutcome {
  readonly applied: number;
  /** Where the next page starts; undefined when this page ended the pass. */
  readonly next: PassCursor | undefined;
}

/**
 * Reads and applies the pass's events in the next window of `pageSize` events
 * of the commit order (fewer when other tenants' events, or types the
 * projection ignores, fall in it), through the projection's bulk apply when it
 * has one. A window, not a LIMIT over the filtered rows: that would make
 * PostgreSQL read and sort everything left of the pass for every page.
 */
export async function applyPage(
  tx: DatabaseTransactionConnection,
  projection: Projection,
  tenants: IdentifierSqlToken,
  target: ReadModelTarget,
  after: PassCursor,
  pageSize: number,
  upcast: Upcast,
): Promise<PageOutcome> {
  const end = await passEnd(tx, projection, tenants);
  if (!end) return { applied: 0, next: undefined };
  const until = (await windowEnd(tx, after, end, pageSize)) ?? end;
  const rows = (await tx.any(sql.unsafe`
    SELECT * FROM (${passRows(projection, tenants, after, until)}) pass
     ORDER BY anchor_transaction_id, anchor_position, replayed, global_position`)) as readonly PassRow[];
  const events = rows.map((row) => projectedEvent(row, upcast));
  const bulk = projection.applyMany ? await projection.applyMany(tx, events, target) : false;
  if (!bulk) {
    for (const event of events) {
      try {
        await projection.handlers[event.type]?.(tx, event, target);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`${projection.name} refused ${event.type} ${event.eventId}: ${reason}`);
      }
    }
  }
  return { applied: rows.length, next: until === end ? undefined : until };
}
