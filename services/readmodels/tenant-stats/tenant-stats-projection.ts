import { sql } from 'slonik';
import { type Decimal, decimal, decimalText, plus } from '../decimal.ts';
import { type BulkApply, type EventHandler, type Projection, tableIn } from '../projection.ts';
import { evolveTenantOrder, type TenantOrder } from './tenant-stats-fold.ts';

interface StoredOrder {
  readonly tenant_id: string;
  readonly order_id: string;
  readonly currency: string;
  /** numeric as text: money never passes through a float. */
  readonly total: string;
  readonly status: string;
}

/**
 * A run of events in four statements: the orders it names are read once (and
 * locked), the events are folded in memory with the handlers' own logic, then
 * the changed orders, the counts and the revenues are written once each. A
 * handler is this with a run of one.
 */
export const applyTenantStats: BulkApply = async (tx, events, target) => {
  const facts = tableIn(target, 'tenant_stats_orders');
  const named = [
    ...new Map(events.map((event) => [`${event.tenantId}/${event.aggregateId}`, event])).values(),
  ];
  const stored = (await tx.any(sql.unsafe`
    SELECT tenant_id, order_id, currency, total::text AS total, status FROM ${facts}
     WHERE (tenant_id, order_id) IN (SELECT * FROM unnest(${sql.array(
       named.map((event) => event.tenantId),
       'uuid',
     )}, ${sql.array(
       named.map((event) => event.aggregateId),
       'uuid',
     )})) FOR UPDATE`)) as readonly StoredOrder[];
  const orders = new Map<string, TenantOrder | undefined>(
    stored.map((row) => [
      `${row.tenant_id}/${row.order_id}`,
      { currency: row.currency, total: decimal(row.total), status: row.status },
    ]),
  );
  const changedOrders = new Map<string, { tenantId: string; orderId: string }>();
  const counts = new Map<string, { tenantId: string; status: string; delta: number }>();
  const revenues = new Map<string, { tenantId: string; currency: string; amount: Decimal }>();
  for (const event of events) {
    const key = `${event.tenantId}/${event.aggregateId}`;
    const before = orders.get(key);
    const step = evolveTenantOrder(before, event);
    orders.set(key, step.order);
    if (step.order !== before)
      changedOrders.set(key, { tenantId: event.tenantId, orderId: event.aggregateId });
    for (const [status, delta] of step.counts) {
      const row = `${event.tenantId}/${status}`;
      counts.set(row, { tenantId: event.tenantId, status, delta: (counts.get(row)?.delta ?? 0) + delta });
    }
    if (step.revenue && step.order) {
      const { currency } = step.order;
      const row = `${event.tenantId}/${currency}`;
      const earlier = revenues.get(row)?.amount;
      revenues.set(row, {
        tenantId: event.tenantId,
        currency,
        amount: earlier ? plus(earlier, step.revenue) : step.revenue,
      });
    }
  }
  const written = [...changedOrders.entries()].flatMap(([key, ids]) => {
    const order = orders.get(key);
    return order ? [{ ...ids, order }] : [];
  });
  if (written.length > 0)
    await tx.query(sql.unsafe`
      INSERT INTO ${facts} (tenant_id, order_id, currency, total, status)
      SELECT tenant_id, order_id, currency, total::numeric, status
        FROM unnest(${sql.array(
          written.map((row) => row.tenantId),
          'uuid',
        )}, ${sql.array(
          written.map((row) => row.orderId),
          'uuid',
        )}, ${sql.array(
          written.map((row) => row.order.currency),
          'text',
        )}, ${sql.array(
          written.map((row) => decimalText(row.order.total)),
          'text',
        )}, ${sql.array(
          written.map((row) => row.order.status),
          'text',
        )}) AS w (tenant_id, order_id, currency, total, status)
      ON CONFLICT (tenant_id, order_id) DO UPDATE SET total = EXCLUDED.total, status = EXCLUDED.status`);
  const countRows = [...counts.values()];
  if (countRows.length > 0)
    await tx.query(sql.unsafe`
      INSERT INTO ${tableIn(target, 'tenant_order_counts')} AS counts (tenant_id, status, orders)
      SELECT * FROM unnest(${sql.array(
        countRows.map((row) => row.tenantId),
        'uuid',
      )}, ${sql.array(
        countRows.map((row) => row.status),
        'text',
      )}, ${sql.array(
        countRows.map((row) => row.delta),
        'int4',
      )})
      ON CONFLICT (tenant_id, status) DO UPDATE SET orders = counts.orders + EXCLUDED.orders`);
  const revenueRows = [...revenues.values()];
  if (revenueRows.length > 0)
    await tx.query(sql.unsafe`
      INSERT INTO ${tableIn(target, 'tenant_revenue')} AS revenue (tenant_id, currency, revenue)
      SELECT tenant_id, currency, amount::numeric
        FROM unnest(${sql.array(
          revenueRows.map((row) => row.tenantId),
          'uuid',
        )}, ${sql.array(
          revenueRows.map((row) => row.currency),
          'text',
        )}, ${sql.array(
          revenueRows.map((row) => decimalText(row.amount)),
          'text',
        )}) AS r (tenant_id, currency, amount)
      ON CONFLICT (tenant_id, currency) DO UPDATE SET revenue = revenue.revenue + EXCLUDED.revenue`);
  return true;
};

const one: EventHandler = async (tx, event, target) => {
  await applyTenantStats(tx, [event], target);
};

/** `tenant_stats`: orders per status and revenue (orders not cancelled) per currency, per tenant. */
export const tenantStatsProjection: Projection = {
  name: 'tenant_stats',
  sources: ['orders'],
  tables: ['tenant_order_counts', 'tenant_revenue', 'tenant_stats_orders'],
  applyMany: applyTenantStats,
  handlers: {
    OrderPlaced: one,
    OrderItemAdded: one,
    OrderShipped: one,
    OrderDelivered: one,
    OrderCancelled: one,
  },
};
