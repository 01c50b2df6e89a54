import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { inTenantTransaction, sql } from '../../platform/database/index.ts';
import { ValidationError, WaitTimedOutError } from '../../platform/errors/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import { projectionNamed } from '../catalogue.ts';

/** Where a projection stands for a tenant: the last event it applied, in the tenant's commit order. */
export interface Watermark {
  readonly transactionId: string;
  readonly position: number;
}

/** Where a projection stands for a tenant it has applied nothing of yet. */
export const NO_WATERMARK: Watermark = { transactionId: '0', position: 0 };

/** The tenant's commit order: by transaction id, then position within it (negative: a is older). */
export function compareWatermarks(a: Watermark, b: Watermark): number {
  const byTransaction = BigInt(a.transactionId) - BigInt(b.transactionId);
  if (byTransaction !== 0n) return byTransaction < 0n ? -1 : 1;
  return Math.sign(a.position - b.position);
}

/** The projection did not reach the caller's position within its wait. */
export class ReadModelBehindError extends WaitTimedOutError {}

const watermark = z.object({ transactionId: z.string(), position: z.number().int() });

export async function readWatermark(
  tx: DatabaseTransactionConnection,
  projection: string,
  tenant: TenantId,
): Promise<Watermark | null> {
  return tx.maybeOne(sql.type(watermark)`
    SELECT transaction_id::text AS "transactionId", global_position AS position FROM readmodels.watermarks
     WHERE projection = ${projection} AND tenant_id = ${tenant}`);
}

/**
 * Whether the projection has applied every event it handles of this tenant up to
 * the target. A tenant's events reach the projector in (transaction id, position)
 * order, not position order, so "watermark position ≥ P" would be wrong both
 * ways; and a projection of another context (GetTenant after PlaceOrder) never
 * sees the target itself, so the test is "no event it handles lies between its
 * watermark and the target", a short range scan of the tenant's index.
 */
async function caughtUp(
  tx: DatabaseTransactionConnection,
  projection: string,
  tenant: TenantId,
  target: Watermark,
): Promise<boolean> {
  const mark = (await readWatermark(tx, projection, tenant)) ?? NO_WATERMARK;
  const types = Object.keys(projectionNamed(projection).handlers);
  return (await tx.oneFirst(sql.unsafe`
    SELECT NOT EXISTS (
      SELECT FROM events
       WHERE tenant_id = ${tenant}
         AND (transaction_id, global_position) > (${mark.transactionId}::xid8, ${mark.position}::bigint)
         AND (transaction_id, global_position) <= (${target.transactionId}::xid8, ${target.position}::bigint)
         AND event_type = ANY(${sql.array(types, 'text')}))`)) as boolean;
}

/**
 * The (transaction id, position) of the tenant's event at `position` (a command
 * response's). A position that is not one of the tenant's events is refused: no
 * wait for it could end.
 */
export async function resolvePosition(
  pool: DatabasePool,
  tenant: TenantId,
  position: number,
): Promise<Watermark> {
  const transactionId = (await inTenantTransaction(pool, tenant, (tx) =>
    tx.maybeOneFirst(sql.unsafe`
      SELECT transaction_id::text FROM events WHERE tenant_id = ${tenant} AND global_position = ${position}`),
  )) as string | null;
  if (transactionId === null) {
    throw new ValidationError('invalid X-Min-Position', [
      { path: '/headers/x-min-position', message: 'names no event of this tenant' },
    ]);
  }
  return { transactionId, position };
}

/** Waits until the projection has applied the tenant's events up to the target, polling briefly, for at most `timeoutMs`. */
export async function awaitWatermark(
  pool: DatabasePool,
  projection: string,
  tenant: TenantId,
  target: Watermark,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let interval = 5; ; interval = Math.min(interval * 2, 50)) {
    if (await inTenantTransaction(pool, tenant, (tx) => caughtUp(tx, projection, tenant, target))) return;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new ReadModelBehindError(
        `the ${projection} read model has not reached position ${target.position} within ${timeoutMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(interval, left)));
  }
}

/** Waits until the projection has applied the tenant's events up to the event at `position`. */
export async function awaitPosition(
  pool: DatabasePool,
  projection: string,
  tenant: TenantId,
  position: number,
  timeoutMs: number,
): Promise<void> {
  await awaitWatermark(pool, projection, tenant, await resolvePosition(pool, tenant, position), timeoutMs);
}
