import type { CommonQueryMethods, DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { money, moneyAsNumber } from '../../domain/orders/index.ts';
import { sql } from '../../platform/database/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { queryParams } from './query-types.ts';
import { AbsentAtWatermark, NO_WATERMARK, type Watermark } from './read-your-writes.ts';

const orderRow = z.object({
  order_id: z.string(),
  customer_id: z.string(),
  customer_email: z.string().nullable(),
  shipping_address: z.string().nullable(),
  status: z.string(),
  currency: z.string(),
  items: z.unknown(),
  total: z.string().transform(money),
  tracking_number: z.string().nullable(),
  cancellation_reason: z.string().nullable(),
  placed_position: z.number().int(),
  placed_at: z.number(),
  updated_at: z.number(),
  version: z.number().int(),
});

const COLUMNS = sql.fragment`order_id, customer_id, customer_email, shipping_address, status, currency, items,
  total::text AS total, tracking_number, cancellation_reason, placed_position, placed_at, updated_at, version`;

function view(row: z.infer<typeof orderRow>) {
  return {
    orderId: row.order_id,
    customerId: row.customer_id,
    // Sealed, as stored: the gateway opens them for the caller (docs/privacy.md).
    customerEmail: row.customer_email,
    shippingAddress: row.shipping_address,
    status: row.status,
    currency: row.currency,
    items: row.items,
    total: moneyAsNumber(row.total),
    trackingNumber: row.tracking_number,
    cancellationReason: row.cancellation_reason,
    placedAt: new Date(row.placed_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    version: row.version,
  };
}

export type OrderView = ReturnType<typeof view>;

/** What readmodels.order_answer answers: the projection's watermark and the order, each null when absent. */
const markColumns = {
  mark_transaction_id: z.string().nullable(),
  mark_position: z.number().int().nullable(),
};
const orderAnswerRow = z.union([
  orderRow.extend(markColumns),
  z.object({ ...markColumns, order_id: z.null() }),
]);

/**
 * The order with the projection's watermark, in one statement acting for the tenant
 * (readmodels.order_answer): row-level security holds it to the tenant, so a foreign
 * order reads as missing.
 * @throws AbsentAtWatermark when the read model has no such order at its watermark
 */
export async function getOrderAnswer(
  db: CommonQueryMethods,
  projection: string,
  tenant: TenantId,
  params: z.infer<(typeof queryParams)['GetOrder']>,
): Promise<{ order: OrderView; watermark: Watermark }> {
  const row = await db.one(sql.type(orderAnswerRow)`
    SELECT * FROM readmodels.order_answer(${projection}, ${tenant}, ${params.orderId})`);
  const { mark_transaction_id: transactionId, mark_position: position } = row;
  const watermark = transactionId === null || position === null ? NO_WATERMARK : { transactionId, position };
  if (row.order_id === null) throw new AbsentAtWatermark(`no order ${params.orderId}`, watermark);
  return { order: view(row), watermark };
}

/** Newest first, keyset-paginated on the OrderPlaced position (stable while orders change status). */
export async function listOrders(
  tx: DatabaseTransactionConnection,
  tenant: TenantId,
  params: z.infer<(typeof queryParams)['ListOrders']>,
): Promise<{ items: OrderView[]; nextCursor: string | null }> {
  const conditions = [sql.fragment`tenant_id = ${tenant}`];
  if (params.status) conditions.push(sql.fragment`status = ${params.status}`);
  if (params.customerId) conditions.push(sql.fragment`customer_id = ${params.customerId}`);
  if (params.cursor) conditions.push(sql.fragment`placed_position < ${decodeCursor(params.cursor)}`);
  const rows = await tx.any(sql.type(orderRow)`
    SELECT ${COLUMNS} FROM readmodels.orders
     WHERE ${sql.join(conditions, sql.fragment` AND `)}
     ORDER BY placed_position DESC
     LIMIT ${params.limit + 1}`);
  const page = rows.slice(0, params.limit);
  const last = page.at(-1);
  return {
    items: page.map(view),
    nextCursor: rows.length > params.limit && last ? encodeCursor(last.placed_position) : null,
  };
}
