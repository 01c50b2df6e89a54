import { sql } from 'slonik';
import type { OrderCancelled, OrderItemAdded, OrderPlaced, OrderShipped } from '../../domain/orders/index.ts';
import {
  dataOf,
  type Projection,
  type ProjectedEvent,
  type ReadModelTarget,
  tableIn,
} from '../projection.ts';
import { applyOrders } from './orders-bulk.ts';

const orders = (target: ReadModelTarget) => tableIn(target, 'orders');

/** Every later event names only the order: it changes the row's status and stamps version and time. */
function touch(event: ProjectedEvent) {
  return sql.fragment`version = ${event.aggregateVersion}, updated_at = ${event.occurredAt.toISOString()}::timestamptz`;
}

function thisOrder(event: ProjectedEvent) {
  return sql.fragment`tenant_id = ${event.tenantId} AND order_id = ${event.aggregateId}`;
}

/** `orders`: one row per order, as ListOrders and GetOrder answer it. */
export const ordersProjection: Projection = {
  name: 'orders',
  sources: ['orders'],
  tables: ['orders'],
  applyMany: applyOrders,
  handlers: {
    async OrderPlaced(tx, event, target) {
      const { customerId, currency, items } = dataOf<OrderPlaced['data']>(event);
      const lines = JSON.stringify(
        items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
      );
      // The total is summed in numeric, so it reads the same however the lines were added.
      await tx.query(sql.unsafe`
        INSERT INTO ${orders(target)} (tenant_id, order_id, customer_id, status, currency, items, total,
                                       placed_position, placed_at, updated_at, version)
        SELECT ${event.tenantId}, ${event.aggregateId}, ${customerId}, 'placed', ${currency}, lines,
               (SELECT coalesce(sum((line->>'quantity')::numeric * (line->>'unitPrice')::numeric), 0)
                  FROM jsonb_array_elements(lines) AS line),
               ${event.globalPosition}, ${event.occurredAt.toISOString()}::timestamptz,
               ${event.occurredAt.toISOString()}::timestamptz, ${event.aggregateVersion}
          FROM (SELECT ${lines}::jsonb AS lines) AS placed
        ON CONFLICT (tenant_id, order_id) DO NOTHING`);
    },
    async OrderItemAdded(tx, event, target) {
      const { sku, quantity, unitPrice } = dataOf<OrderItemAdded['data']>(event);
      await tx.query(sql.unsafe`
        UPDATE ${orders(target)}
           SET items = items || jsonb_build_array(jsonb_build_object('sku', ${sku}::text,
                 'quantity', ${quantity}::numeric, 'unitPrice', ${unitPrice}::numeric)),
               total = total + ${quantity}::numeric * ${unitPrice}::numeric, ${touch(event)}
         WHERE ${thisOrder(event)}`);
    },
    async OrderShipped(tx, event, target) {
      const { trackingNumber } = dataOf<OrderShipped['data']>(event);
      await tx.query(sql.unsafe`
        UPDATE ${orders(target)} SET status = 'shipped', tracking_number = ${trackingNumber}, ${touch(event)}
         WHERE ${thisOrder(event)}`);
    },
    async OrderDelivered(tx, event, target) {
      await tx.query(sql.unsafe`
        UPDATE ${orders(target)} SET status = 'delivered', ${touch(event)} WHERE ${thisOrder(event)}`);
    },
    async OrderCancelled(tx, event, target) {
      const { reason } = dataOf<OrderCancelled['data']>(event);
      await tx.query(sql.unsafe`
        UPDATE ${orders(target)} SET status = 'cancelled', cancellation_reason = ${reason}, ${touch(event)}
         WHERE ${thisOrder(event)}`);
    },
  },
};
