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
  readonly currency: string;
  /** numeric as text: money never passes through a float. */
  readonly total: string;
  readonly status: string;
}

async function knownOrder(
  tx: DatabaseTransactionConnection,
  event: ProjectedEvent,
  target: ReadModelTarget,
): Promise<KnownOrder | null> {
  return (await tx.maybeOne(sql.unsafe`
    SELECT currency, total::text AS total, status FROM ${tableIn(target, 'tenant_stats_orders')}
     WHERE tenant_id = ${event.tenantId} AND order_id = ${event.aggregateId} FOR UPDATE`)) as KnownOrder | null;
}

async function countOrders(
  tx: DatabaseTransactionConnection,
  event: ProjectedEvent,
  target: ReadModelTarget,
  status: string,
  delta: number,
): Promise<void> {
  await tx.query(sql.unsafe`
    INSERT INTO ${tableIn(target, 'tenant_order_counts')} AS counts (tenant_id, status, orders)
    VALUES (${event.tenantId}, ${status}, ${delta})
    ON CONFLICT (tenant_id, status) DO UPDATE SET orders = counts.orders + EXCLUDED.orders`);
}

async function addRevenue(
  tx: DatabaseTransactionConnection,
  event: ProjectedEvent,
  target: ReadModelTarget,
  currency: string,
  amount: string,
  sign: 1 | -1 = 1,
): Promise<void> {
  await tx.query(sql.unsafe`
    INSERT INTO ${tableIn(target, 'tenant_revenue')} AS revenue (tenant_id, currency, revenue)
    VALUES (${event.tenantId}, ${currency}, ${sign}::numeric * ${amount}::numeric)
    ON CONFLICT (tenant_id, currency) DO UPDATE SET revenue = revenue.revenue + EXCLUDED.revenue`);
}

/** Moves an order from its status to another: the counts follow; a cancellation takes its revenue back. */
async function moveTo(
  tx: DatabaseTransactionConnection,
  event: ProjectedEvent,
  target: ReadModelTarget,
  status: string,
): Promise<void> {
  const order = await knownOrder(tx, event, target);
  if (!order || order.status === status) return;
  await tx.query(sql.unsafe`
    UPDATE ${tableIn(target, 'tenant_stats_orders')} SET status = ${status}
     WHERE tenant_id = ${event.tenantId} AND order_id = ${event.aggregateId}`);
  await countOrders(tx, event, target, order.status, -1);
  await countOrders(tx, event, target, status, 1);
  if (status === 'cancelled') await addRevenue(tx, event, target, order.currency, order.total, -1);
}

/** `tenant_stats`: orders per status and revenue (orders not cancelled) per currency, per tenant. */
export const tenantStatsProjection: Projection = {
  name: 'tenant_stats',
  sources: ['orders'],
  tables: ['tenant_order_counts', 'tenant_revenue', 'tenant_stats_orders'],
  handlers: {
    async OrderPlaced(tx, event, target) {
      const { currency, items } = dataOf<OrderPlaced['data']>(event);
      const total = (await tx.oneFirst(sql.unsafe`
        INSERT INTO ${tableIn(target, 'tenant_stats_orders')} (tenant_id, order_id, currency, total, status)
        SELECT ${event.tenantId}, ${event.aggregateId}, ${currency},
               coalesce(sum((line->>'quantity')::numeric * (line->>'unitPrice')::numeric), 0), 'placed'
          FROM jsonb_array_elements(${JSON.stringify(items)}::jsonb) AS line
        RETURNING total::text`)) as string;
      await countOrders(tx, event, target, 'placed', 1);
      await addRevenue(tx, event, target, currency, total);
    },
    async OrderItemAdded(tx, event, target) {
      const order = await knownOrder(tx, event, target);
      if (!order) return;
      const { quantity, unitPrice } = dataOf<OrderItemAdded['data']>(event);
      const line = (await tx.oneFirst(sql.unsafe`
        UPDATE ${tableIn(target, 'tenant_stats_orders')}
           SET total = total + ${quantity}::numeric * ${unitPrice}::numeric
         WHERE tenant_id = ${event.tenantId} AND order_id = ${event.aggregateId}
        RETURNING (${quantity}::numeric * ${unitPrice}::numeric)::text`)) as string;
      if (order.status !== 'cancelled') await addRevenue(tx, event, target, order.currency, line);
    },
    OrderShipped: (tx, event, target) => moveTo(tx, event, target, 'shipped'),
    OrderDelivered: (tx, event, target) => moveTo(tx, event, target, 'delivered'),
    OrderCancelled: (tx, event, target) => moveTo(tx, event, target, 'cancelled'),
  },
};
