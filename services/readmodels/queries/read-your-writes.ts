import type { CommonQueryMethods, DatabasePool } from 'slonik';
import { z } from 'zod';
import { compareCheckpoints, type EventStore } from '../../eventstore/index.ts';
import { sql } from '../../platform/database/index.ts';
import { ValidationError, WaitTimedOutError } from '../../platform/errors/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import { projectionNamed } from '../catalogue.ts';
import { WatermarkWaits } from './watermark-waits.ts';

/** Where a projection stands for a tenant: the last event it applied, in the tenant's commit order. */
export interface Watermark {
  readonly transactionId: string;
  readonly position: number;
}

/** A caller's X-Min-Position as a point of the tenant's commit order, and the type of the event there. */
export interface Target extends Watermark {
  readonly eventType: string;
}

/** Where a projection stands for a tenant it has applied nothing of yet. */
export const NO_WATERMARK: Watermark = { transactionId: '0', position: 0 };

/** The tenant's commit order: by transaction id, then position within it (negative: a is older). */
export const compareWatermarks: (a: Watermark, b: Watermark) => number = compareCheckpoints;

/** The projection did not reach the caller's position within its wait. */
export class ReadModelBehindError extends WaitTimedOutError {}

const watermark = z.object({ transactionId: z.string(), position: z.number().int() });

/**
 * The projection's watermark of the tenant, in one round trip: readmodels.tenant_watermark
 * sets the tenant for the rest of the caller's transaction (row-level security) and
 * reads the watermark in the same statement. A wait's look asks it on its own; an
 * answer asks it first in its transaction, which then needs no statement to set the tenant.
 */
export async function tenantWatermark(
  db: CommonQueryMethods,
  projection: string,
  tenant: TenantId,
): Promise<Watermark | null> {
  return db.maybeOne(sql.type(watermark)`
    SELECT transaction_id AS "transactionId", global_position AS position
      FROM readmodels.tenant_watermark(${projection}, ${tenant})`);
}

/**
 * Whether the projection has applied every event it handles of this tenant up to
 * the target. A tenant's events reach the projector in (transaction id, position)
 * order, not position order, so "watermark position ≥ P" would be wrong both
 * ways; and a projection of another context (GetTenant after PlaceOrder) never
 * sees the target itself, so the test is "no event it handles lies between its
 * watermark and the target", which the event store answers.
 */
async function caughtUp(
  pool: DatabasePool,
  events: EventStore,
  projection: string,
  tenant: TenantId,
  target: Target,
): Promise<boolean> {
  const mark = (await tenantWatermark(pool, projection, tenant)) ?? NO_WATERMARK;
  if (compareWatermarks(mark, target) >= 0) return true;
  const types = Object.keys(projectionNamed(projection).handlers);
  // The target is itself between the watermark and the target: of a type the projection handles,
  // it is still to be applied, and the store need not be asked (the usual read after a command).
  if (types.includes(target.eventType)) return false;
  return !(await events.hasEventsBetween(tenant, { after: mark, upTo: target }, types));
}

/**
 * The (transaction id, position) of the tenant's event at `position` (a command
 * response's). A position that is not one of the tenant's events is refused: no
 * wait for it could end.
 */
export async function resolvePosition(
  events: EventStore,
  tenant: TenantId,
  position: number,
): Promise<Target> {
  const target = await events.checkpointOf(tenant, position);
  if (!target) {
    throw new ValidationError('invalid X-Min-Position', [
      { path: '/headers/x-min-position', message: 'names no event of this tenant' },
    ]);
  }
  return target;
}

/** Where no listener announces anything: waits poll with a short backoff. */
const POLLING = new WatermarkWaits({ recheckMs: 50 });

/**
 * Waits until the projection has applied the tenant's events up to the target,
 * for at most `timeoutMs`: it looks again when the projector announces a move of
 * the projection's watermark of this tenant (`waits`, fed by the process's one
 * listener), else after the waits' recheck pause. An announced watermark past
 * the target ends it at once where the waits know it to be visible already.
 */
export async function awaitWatermark(
  pool: DatabasePool,
  events: EventStore,
  projection: string,
  tenant: TenantId,
  target: Target,
  timeoutMs: number,
  waits: WatermarkWaits = POLLING,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const end = waits.begin();
  let announced: Watermark | undefined;
  try {
    for (let attempt = 0; ; attempt++) {
      const wakeUp = waits.wakeUp(projection, tenant);
      try {
        // Announced after its commit, on the database the answer is read from: no look needed.
        if (announced && waits.announcedIsVisible && compareWatermarks(announced, target) >= 0) return;
        if (await caughtUp(pool, events, projection, tenant, target)) return;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new ReadModelBehindError(
            `the ${projection} read model has not reached position ${target.position} within ${timeoutMs} ms`,
          );
        }
        announced = await wakeUp.within(Math.min(waits.pauseAfter(attempt), left));
      } finally {
        wakeUp.cancel();
      }
    }
  } finally {
    end();
  }
}

/** Waits until the projection has applied the tenant's events up to the event at `position`. */
export async function awaitPosition(
  pool: DatabasePool,
  events: EventStore,
  projection: string,
  tenant: TenantId,
  position: number,
  timeoutMs: number,
): Promise<void> {
  const target = await resolvePosition(events, tenant, position);
  await awaitWatermark(pool, events, projection, tenant, target, timeoutMs);
}
