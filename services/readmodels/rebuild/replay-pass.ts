import type { DatabaseTransactionConnection, IdentifierSqlToken } from 'slonik';
import { z } from 'zod';
import type { EventStore } from '../../eventstore/index.ts';
import { sql } from '../../platform/database/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import { countReplay, type ReplayRanges, replayWindow } from '../event-replay.ts';
import type { Projection, ReadModelTarget } from '../projection.ts';

/**
 * A replay pass: each tenant's events after what the target tables hold
 * (`applied`) up to `target`, in the order the live projection applied them
 * (event-replay.ts), as the consistency check replays them.
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

const tenantRange = z.object({
  tenant_id: z.string(),
  applied_transaction_id: z.string(),
  applied_position: z.number(),
  target_transaction_id: z.string(),
  target_position: z.number(),
});

/** The tenants with events left in the pass (past `after`, when given), each from its `applied` to its target. */
async function passRanges(
  tx: DatabaseTransactionConnection,
  projection: Projection,
  tenants: IdentifierSqlToken,
  after?: PassCursor,
): Promise<ReplayRanges> {
  const rows = await tx.any(sql.type(tenantRange)`
    SELECT tenant_id, applied_transaction_id::text AS applied_transaction_id, applied_position,
           target_transaction_id::text AS target_transaction_id, target_position
      FROM ${tenants}
     WHERE projection = ${projection.name}
       AND (applied_transaction_id, applied_position) < (target_transaction_id, target_position)
       ${after ? sql.fragment`AND (target_transaction_id, target_position) > (${after.transactionId}::xid8, ${after.position}::bigint)` : sql.fragment``}`);
  return new Map(
    rows.map((row) => [
      row.tenant_id as TenantId,
      {
        after: { transactionId: row.applied_transaction_id, position: row.applied_position },
        upTo: { transactionId: row.target_transaction_id, position: row.target_position },
      },
    ]),
  );
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
  events: EventStore,
): Promise<number> {
  return countReplay(tx, events, projection, await passRanges(tx, projection, tenants));
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

export interface PageOutcome {
  readonly applied: number;
  /** Where the next page starts; undefined when this page ended the pass. */
  readonly next: PassCursor | undefined;
}

/**
 * Reads and applies the pass's events in the next window of `pageSize` events
 * of the commit order (fewer when other tenants' events, or types the
 * projection ignores, fall in it), through the projection's bulk apply when it
 * has one.
 */
export async function applyPage(
  tx: DatabaseTransactionConnection,
  projection: Projection,
  tenants: IdentifierSqlToken,
  target: ReadModelTarget,
  after: PassCursor,
  pageSize: number,
  events: EventStore,
): Promise<PageOutcome> {
  const end = await passEnd(tx, projection, tenants);
  if (!end) return { applied: 0, next: undefined };
  const ranges = await passRanges(tx, projection, tenants, after);
  const page = await replayWindow(tx, events, projection, ranges, { after, upTo: end, size: pageSize });
  const bulk = projection.applyMany ? await projection.applyMany(tx, page.events, target) : false;
  if (!bulk) {
    for (const event of page.events) {
      try {
        await projection.handlers[event.type]?.(tx, event, target);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`${projection.name} refused ${event.type} ${event.eventId}: ${reason}`);
      }
    }
  }
  return { applied: page.events.length, next: page.next };
}
