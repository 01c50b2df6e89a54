import { sql } from 'slonik';
import { decimal, decimalText } from '../decimal.ts';
import { type BulkApply, type EventHandler, type Projection, tableIn } from '../projection.ts';
import {
  combined,
  type CustomerOrder,
  type CustomerStatsChange,
  evolveCustomerOrder,
} from './customer-order-stats-fold.ts';

interface StoredOrder {
  readonly tenant_id: string;
  readonly order_id: string;
  readonly customer_id: string;
  readonly currency: string;
  /** numeric as text: money never passes through a float. */
  readonly total: string;
  readonly status: string;
}

/**
 * A run of events in three statements: the orders it names are read once (and
 * locked), the events are folded over them in memory with the handlers' own
 * logic, then the changed orders and the customers' rows are written once each.
 * A handler is this with a run of one.
 */
export const applyCustomerOrderStats: BulkApply = async (tx, events, target) => {
  const facts = tableIn(target, 'customer_order_stats_orders');
  const keys = new Map(events.map((event) => [`${event.tenantId}/${event.aggregateId}`, event]));
  const named = [...keys.values()];
  const stored = (await tx.any(sql.unsafe`
    SELECT tenant_id, order_id, customer_id, currency, total::text AS total, status FROM ${facts}
     WHERE (tenant_id, order_id) IN (SELECT * FROM unnest(${sql.array(
       named.map((event) => event.tenantId),
       'uuid',
     )}, ${sql.array(
       named.map((event) => event.aggregateId),
       'uuid',
     )})) FOR UPDATE`)) as readonly StoredOrder[];
  const orders = new Map<string, CustomerOrder | undefined>(
    stored.map((row) => [
      `${row.tenant_id}/${row.order_id}`,
      { customerId: row.customer_id, currency: row.currency, total: decimal(row.total), status: row.status },
    ]),
  );
  const changedOrders = new Map<string, { tenantId: string; orderId: string }>();
  const changes = new Map<
    string,
    { tenantId: string; customerId: string; currency: string; change: CustomerStatsChange }
  >();
  for (const event of events) {
    const key = `${event.tenantId}/${event.aggregateId}`;
    const before = orders.get(key);
    const step = evolveCustomerOrder(before, event);
    orders.set(key, step.order);
    if (step.order !== before)
      changedOrders.set(key, { tenantId: event.tenantId, orderId: event.aggregateId });
    if (step.change && step.order) {
      const { customerId, currency } = step.order;
      const row = `${event.tenantId}/${customerId}/${currency}`;
      const earlier = changes.get(row);
      changes.set(row, {
        tenantId: event.tenantId,
        customerId,
        currency,
        change: earlier ? combined(earlier.change, step.change) : step.change,
      });
    }
  }
  const written = [...changedOrders.entries()].flatMap(([key, ids]) => {
    const order = orders.get(key);
    return order ? [{ ...ids, order }] : [];
  });
  if (written.length > 0)
    await tx.query(sql.unsafe`
      INSERT INTO ${facts} AS o (tenant_id, order_id, customer_id, currency, total, status)
      SELECT tenant_id, order_id, customer_id, currency, total::numeric, status
        FROM unnest(${sql.array(
          written.map((row) => row.tenantId),
          'uuid',
        )}, ${sql.array(
          written.map((row) => row.orderId),
          'uuid',
        )}, ${sql.array(
          written.map((row) => row.order.customerId),
          'text',
        )}, ${sql.array(
          written.map((row) => row.order.currency),
          'text',
        )}, ${sql.array(
          written.map((row) => decimalText(row.order.total)),
          'text',
        )}, ${sql.array(
          written.map((row) => row.order.status),
          'text',
        )}) AS w (tenant_id, order_id, customer_id, currency, total, status)
      ON CONFLICT (tenant_id, order_id) DO UPDATE SET total = EXCLUDED.total, status = EXCLUDED.status`);
  const rows = [...changes.values()];
  if (rows.length > 0)
    await tx.query(sql.unsafe`
      INSERT INTO ${tableIn(target, 'customer_order_stats')} AS stats
        (tenant_id, customer_id, currency, orders_placed, orders_cancelled, orders_delivered, total_spent)
      SELECT tenant_id, customer_id, currency, placed, cancelled, delivered, spent::numeric
        FROM unnest(${sql.array(
          rows.map((row) => row.tenantId),
          'uuid',
        )}, ${sql.array(
          rows.map((row) => row.customerId),
          'text',
        )}, ${sql.array(
          rows.map((row) => row.currency),
          'text',
        )}, ${sql.array(
          rows.map((row) => row.change.placed),
          'int4',
        )}, ${sql.array(
          rows.map((row) => row.change.cancelled),
          'int4',
        )}, ${sql.array(
          rows.map((row) => row.change.delivered),
          'int4',
        )}, ${sql.array(
          rows.map((row) => decimalText(row.change.spent)),
          'text',
        )}) AS c (tenant_id, customer_id, currency, placed, cancelled, delivered, spent)
      ON CONFLICT (tenant_id, customer_id, currency) DO UPDATE
        SET orders_placed = stats.orders_placed + EXCLUDED.orders_placed,
            orders_cancelled = stats.orders_cancelled + EXCLUDED.orders_cancelled,
            orders_delivered = stats.orders_delivered + EXCLUDED.orders_delivered,
            total_spent = stats.total_spent + EXCLUDED.total_spent`);
  return true;
};

const one: EventHandler = async (tx, event, target) => {
  await applyCustomerOrderStats(tx, [event], target);
};

/** `customer_order_stats`: per customer and currency, orders placed, cancelled, delivered and spent (not cancelled). */
export const customerOrderStatsProjection: Projection = {
  name: 'customer_order_stats',
  sources: ['orders'],
  tables: ['customer_order_stats', 'customer_order_stats_orders'],
  applyMany: applyCustomerOrderStats,
  handlers: { OrderPlaced: one, OrderItemAdded: one, OrderCancelled: one, OrderDelivered: one },
};
