import type { CommonQueryMethods, DatabasePool } from 'slonik';
import { z } from 'zod';
import { compareCheckpoints, type EventPoint, type EventStore } from '../../eventstore/index.ts';
import { sql } from '../../platform/database/index.ts';
import { NotFoundError, ValidationError, WaitTimedOutError } from '../../platform/errors/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import { projectionNamed } from '../catalogue.ts';
import { type WakeUp, WatermarkWaits } from './watermark-waits.ts';

/** Where a projection stands for a tenant: the last event it applied, in the tenant's commit order. */
export interface Watermark {
  readonly transactionId: string;
  readonly position: number;
}

/** A caller's X-Min-Position as a point of the tenant's commit order, and the type of the event there. */
export type Target = EventPoint;

/** Where a projection stands for a tenant it has applied nothing of yet. */
export const NO_WATERMARK: Watermark = { transactionId: '0', position: 0 };

/** The tenant's commit order: by transaction id, then position within it (negative: a is older). */
export const compareWatermarks: (a: Watermark, b: Watermark) => number = compareCheckpoints;

/**
 * What a query asked for is not in the read model as of `watermark`: a 404 that a
 * read-your-writes wait judges as it judges an answer (an order read before the
 * projection applied its OrderPlaced is not missing, only not there yet).
 */
export class AbsentAtWatermark extends NotFoundError {
  constructor(
    message: string,
    readonly watermark: Watermark,
  ) {
    super(message);
  }
}

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
 * Whether what the projection shows at `mark` reflects the target. A tenant's
 * events reach the projector in (transaction id, position) order, not position
 * order, so "watermark position ≥ P" would be wrong both ways; and a projection
 * of another context (GetTenant after PlaceOrder) never sees the target itself,
 * so the test is "no event it handles lies between the mark and the target",
 * which the event store answers.
 */
async function reflects(
  events: EventStore,
  scope: WaitScope,
  mark: Watermark,
  target: Target,
): Promise<boolean> {
  if (compareWatermarks(mark, target) >= 0) return true;
  const types = Object.keys(projectionNamed(scope.projection).handlers);
  // The target event itself lies past the mark: of a type the projection handles, it is
  // still to be applied, and the store need not be asked (the usual read after a command).
  if (types.includes(target.eventType)) return false;
  return !(await events.hasEventsBetween(scope.tenant, { after: mark, upTo: target }, types));
}

/** Whether the projection, as it stands now, has applied the tenant's events it handles up to the target. */
async function caughtUp(
  pool: DatabasePool,
  events: EventStore,
  scope: WaitScope,
  target: Target,
): Promise<boolean> {
  const mark = (await tenantWatermark(pool, scope.projection, scope.tenant)) ?? NO_WATERMARK;
  return reflects(events, scope, mark, target);
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

/** Which read model of which tenant a wait watches, and what wakes it. */
export interface WaitScope {
  readonly projection: string;
  readonly tenant: TenantId;
  /** The process's listener to the projector's announcements; without it, waits poll. */
  readonly waits?: WatermarkWaits | undefined;
}

/** What the read must reflect: the tenant's event at target, waiting for it at most timeoutMs. */
export interface ResolvedConsistency {
  readonly target: Target;
  readonly timeoutMs: number;
}

/**
 * Sleeps until the projector announces a move of the projection's watermark of
 * this tenant, else for the waits' recheck pause, and looks again, until the
 * projection has applied the tenant's events up to the target or the deadline
 * passes. `first` was taken before the look that found the projection behind,
 * so an announcement that came during that look is not lost. An announced
 * watermark past the target ends it at once where the waits know it to be
 * visible already.
 */
async function waitAfterLook(
  pool: DatabasePool,
  events: EventStore,
  scope: WaitScope,
  first: WakeUp,
  consistency: ResolvedConsistency & { readonly deadline: number },
): Promise<void> {
  const { target, timeoutMs, deadline } = consistency;
  const waits = scope.waits ?? POLLING;
  let wakeUp = first;
  try {
    for (let attempt = 0; ; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ReadModelBehindError(
          `the ${scope.projection} read model has not reached position ${target.position} within ${timeoutMs} ms`,
        );
      }
      const announced = await wakeUp.within(Math.min(waits.pauseAfter(attempt), left));
      wakeUp.cancel();
      wakeUp = waits.wakeUp(scope.projection, scope.tenant);
      // Announced after its commit, on the database the answer is read from: no look needed.
      if (announced && waits.announcedIsVisible && compareWatermarks(announced, target) >= 0) return;
      if (await caughtUp(pool, events, scope, target)) return;
    }
  } finally {
    wakeUp.cancel();
  }
}

/**
 * Reads an answer that reflects the target: at once, while the target is still
 * being resolved (a read right after a command mostly finds the projection
 * there already, and on a loaded gateway every round trip in a row waits for a
 * core), and again after waiting when that first read does not reflect it;
 * a first read that finds nothing (AbsentAtWatermark) is judged by its watermark alike.
 * The first wake-up is taken before the first read, so an announcement that
 * lands while the read is under way is not lost.
 */
export async function readReflecting<Answer extends { readonly watermark: Watermark }>(
  pool: DatabasePool,
  events: EventStore,
  scope: WaitScope,
  read: () => Promise<Answer>,
  consistency: Promise<ResolvedConsistency>,
): Promise<Answer> {
  const started = Date.now();
  const waits = scope.waits ?? POLLING;
  const wakeUp = waits.wakeUp(scope.projection, scope.tenant);
  try {
    const [first, resolved] = await Promise.all([
      read().catch((error: unknown) => {
        if (error instanceof AbsentAtWatermark) return error;
        throw error;
      }),
      consistency,
    ]);
    if (await reflects(events, scope, first.watermark, resolved.target)) {
      if (first instanceof AbsentAtWatermark) throw first;
      return first;
    }
    const end = waits.begin();
    try {
      await waitAfterLook(pool, events, scope, wakeUp, {
        ...resolved,
        deadline: started + resolved.timeoutMs,
      });
    } finally {
      end();
    }
    return await read();
  } finally {
    wakeUp.cancel();
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
  const deadline = Date.now() + timeoutMs;
  const target = await resolvePosition(events, tenant, position);
  const scope: WaitScope = { projection, tenant };
  const wakeUp = POLLING.wakeUp(projection, tenant);
  try {
    if (await caughtUp(pool, events, scope, target)) return;
    await waitAfterLook(pool, events, scope, wakeUp, { target, timeoutMs, deadline });
  } finally {
    wakeUp.cancel();
  }
}
