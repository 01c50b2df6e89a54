import type { DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { type Checkpoint, type EventStore, START } from '../../eventstore/index.ts';
import { sql } from '../../platform/database/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import { replayWindow } from '../event-replay.ts';
import { LIVE, type Projection, tableIn } from '../projection.ts';
import { DEFAULT_PAGE_SIZE } from './rebuild-projection.ts';

export interface TenantRebuild {
  readonly projection: string;
  readonly tenant: TenantId;
  /** The tenant's rows deleted, over the projection's tables. */
  readonly rowsDeleted: number;
  readonly eventsApplied: number;
  /** The tenant's watermark the rows now reflect; null: the projection has applied nothing of it. */
  readonly watermark: Checkpoint | null;
}

export interface TenantRebuildOptions {
  /** Moves the tenant's watermark up to this point first (never back): a recovery's. */
  readonly raiseWatermarkTo?: Checkpoint | null;
  readonly pageSize?: number;
}

const watermarkRow = z.object({ transaction_id: z.string(), global_position: z.number() });

async function refuseWhileRebuilding(
  tx: DatabaseTransactionConnection,
  projection: Projection,
): Promise<void> {
  const building = await tx.exists(sql.typeAlias('void')`
    SELECT FROM readmodels.rebuilds WHERE projection = ${projection.name} AND state = 'building'`);
  // Its shadow holds this tenant's rows as they were: swapped in, they would undo this rebuild.
  if (building)
    throw new Error(
      `${projection.name}: a rebuild of the whole projection is under way; let it finish (eventline projections rebuild ${projection.name}), then rebuild the tenant`,
    );
}

/**
 * Rebuilds one tenant's rows of a projection from the event store, in the
 * caller's transaction (as the schema owner), while every other tenant's rows,
 * and the projector's work on them, go on untouched: deletes the tenant's rows
 * from the live tables and replays its events up to its watermark (the events
 * the live model has applied, less the ones it parked, as `projections verify`
 * replays them). Holds the tenant's read-model lock exclusively, which every
 * projector batch writing this tenant holds shared: such batches wait for the
 * transaction, other tenants' do not. Refused for an offboarded tenant, whose
 * read models stay erased.
 */
export async function rebuildTenant(
  tx: DatabaseTransactionConnection,
  projection: Projection,
  tenant: TenantId,
  events: EventStore,
  options: TenantRebuildOptions = {},
): Promise<TenantRebuild> {
  await tx.query(sql.typeAlias('void')`SELECT pg_advisory_xact_lock(readmodels.tenant_lock_key(${tenant}))`);
  await refuseWhileRebuilding(tx, projection);
  if (
    await tx.exists(sql.typeAlias('void')`SELECT FROM readmodels.erased_tenants WHERE tenant_id = ${tenant}`)
  )
    throw new Error(`tenant ${tenant} was offboarded: its read models stay erased`);
  const raise = options.raiseWatermarkTo;
  if (raise) {
    await tx.query(sql.typeAlias('void')`
      INSERT INTO readmodels.watermarks AS w (projection, tenant_id, transaction_id, global_position)
      VALUES (${projection.name}, ${tenant}, ${raise.transactionId}::xid8, ${raise.position})
      ON CONFLICT (projection, tenant_id) DO UPDATE
        SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()
        WHERE (w.transaction_id, w.global_position) < (EXCLUDED.transaction_id, EXCLUDED.global_position)`);
  }
  const mark = await tx.maybeOne(sql.type(watermarkRow)`
    SELECT transaction_id::text AS transaction_id, global_position FROM readmodels.watermarks
     WHERE projection = ${projection.name} AND tenant_id = ${tenant}`);
  let rowsDeleted = 0;
  for (const table of projection.tables) {
    const deleted = await tx.query(sql.typeAlias('void')`
      DELETE FROM ${tableIn(LIVE, table)} WHERE tenant_id = ${tenant}`);
    rowsDeleted += deleted.rowCount;
  }
  if (!mark) return { projection: projection.name, tenant, rowsDeleted, eventsApplied: 0, watermark: null };

  const upTo = { transactionId: mark.transaction_id, position: mark.global_position };
  const ranges = new Map([[tenant, { after: START, upTo }]]);
  let eventsApplied = 0;
  for (let after: Checkpoint | undefined = START; after;) {
    const window = await replayWindow(tx, events, projection, ranges, {
      after,
      upTo,
      size: options.pageSize ?? DEFAULT_PAGE_SIZE,
    });
    const bulk = projection.applyMany ? await projection.applyMany(tx, window.events, LIVE) : false;
    if (!bulk) for (const event of window.events) await projection.handlers[event.type]?.(tx, event, LIVE);
    eventsApplied += window.events.length;
    after = window.next;
  }
  return { projection: projection.name, tenant, rowsDeleted, eventsApplied, watermark: upTo };
}
