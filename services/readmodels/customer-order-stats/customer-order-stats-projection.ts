import { type DatabaseTransactionConnection, sql } from 'slonik';
import type { OrderItemAdded, OrderPlaced } from '../../domain/orders/index.ts';
import {
  dataOf,
  type Projection,
  type ProjectedEvent,
  type ReadModelTarget,
  tableIn,
} from '../projection.ts';

interface KnownOrder {
  readonly customer_id: string;
  readonly currency: string;
  /** numeric as text: money never passes through a float. */
  readonly total: string;
  readonly status: string;
}

function negated(amount: string): string {
  return amount.startsWith('-') ? amount.slice(1) : `-${amount}`;
}

/**
 * Later order events do not name the customer, and this projection must not
 * read another projection's tables (each runs at its own pace): it keeps the
 * few facts of each order it needs in customer_order_stats_orders.
 */
async function knownOrder(
  tx: DatabaseTransactionConnection,
  event: ProjectedEvent,
  target: ReadModelTarget,
): Promise<KnownOrder | null> {
  return (await tx.maybeOne(sql.unsafe`
    SELECT customer_id, currency, total::text AS total, status FROM ${tableIn(target, 'customer_order_stats_orders')}
     WHERE tenant_id = ${event.tenantId} AND order_id = ${event.aggregateId} FOR UPDATE`)) as KnownOrder | null;
}

async function changeStats(
  tx: DatabaseTransactionConnection,
  event: ProjectedEvent,
  target: ReadModelTarget,
  order: Pick<KnownOrder, 'customer_id' | 'currency'>,
  change: { placed?: number; cancelled?: number; delivered?: number; spent?: string },
): Promise<void> {
  await tx.query(sql.unsafe`
    INSERT INTO ${tableIn(target, 'customer_order_stats')} AS stats
      (tenant_id, customer_id, currency, orders_placed, orders_cancelled, orders_delivered, total_spent)
    VALUES (${event.tenantId}, ${order.customer_id}, ${order.currency}, ${change.placed ?? 0},
            ${change.cancelled ?? 0}, ${change.delivered ?? 0}, ${change.spent ?? '0'}::numeric)
    ON CONFLICT (tenant_id, customer_id, currency) DO UPDATE
      SET orders_placed = stats.orders_placed + EXCLUDED.orders_placed,
          orders_cancelled = stats.orders_cancelled + EXCLUDED.orders_cancelled,
          orders_delivered = stats.orders_delivered + EXCLUDED.orders_delivered,
          total_spent = stats.total_spent + EXCLUDED.total_spent`);
}

async function setStatus(
  tx: DatabaseTransactionConnection,
  event: ProjectedEvent,
  target: ReadModelTarget,
  status: string,
): Promise<void> {
  await tx.query(sql.unsafe`
    UPDATE ${tableIn(target, 'customer_order_stats_orders')} SET status = ${status}
     WHERE tenant_id = ${event.tenantId} AND order_id = ${event.aggregateId}`);
}

/** `customer_order_stats`: per customer and currency, orders placed, cancelled, delivered and spent (not cancelled). */
export const customerOrderStatsProjection: Projection = {
  name: 'customer_order_stats',
  sources: ['orders'],
  tables: ['customer_order_stats', 'customer_order_stats_orders'],
  handlers: {
    async OrderPlaced(tx, event, target) {
      const { customerId, currency, items } = dataOf<OrderPlaced['data']>(event);
      const total = (await tx.oneFirst(sql.unsafe`
        INSERT INTO ${tableIn(target, 'customer_order_stats_orders')}
          (tenant_id, order_id, customer_id, currency, total, status)
        SELECT ${event.tenantId}, ${event.aggregateId}, ${customerId}, ${currency},
               coalesce(sum((line->>'quantity')::numeric * (line->>'unitPrice')::numeric), 0), 'placed'
          FROM jsonb_array_elements(${JSON.stringify(items)}::jsonb) AS line
        RETURNING total::text`)) as string;
      await changeStats(
        tx,
        event,
        target,
        { customer_id: customerId, currency },
        { placed: 1, spent: total },
      );
    },
    async OrderItemAdded(tx, event, target) {
      const order = await knownOrder(tx, event, target);
      if (!order) return;
      const { quantity, unitPrice } = dataOf<OrderItemAdded['data']>(event);
      const line = await tx.oneFirst(sql.unsafe`
        UPDATE ${tableIn(target, 'customer_order_stats_orders')}
           SET total = total + ${quantity}::numeric * ${unitPrice}::numeric
         WHERE tenant_id = ${event.tenantId} AND order_id = ${event.aggregateId}
        RETURNING (${quantity}::numeric * ${unitPrice}::numeric)::text`);
      if (order.status !== 'cancelled') await changeStats(tx, event, target, order, { spent: String(line) });
    },
    async OrderCancelled(tx, event, target) {
      const order = await knownOrder(tx, event, target);
      if (!order || order.status === 'cancelled') return;
      await setStatus(tx, event, target, 'cancelled');
      await changeStats(tx, event, target, order, { cancelled: 1, spent: negated(order.total) });
    },
    async OrderDelivered(tx, event, target) {
      const order = await knownOrder(tx, event, target);
      if (!order || order.status === 'delivered') return;
      await setStatus(tx, event, target, 'delivered');
      await changeStats(tx, event, target, order, { delivered: 1 });
    },
  },
};
