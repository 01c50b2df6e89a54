import { z } from 'zod';
import { type Money, money } from '../../domain/orders/index.ts';
import { foldAndUpsert, runOfOne } from '../fold-and-upsert.ts';
import type { Projection } from '../projection.ts';
import { type CustomerOrder, evolveCustomerOrder } from './customer-order-stats-fold.ts';

/** What an event adds to its customer's row (in the order's currency). */
interface CustomerAddition {
  readonly tenantId: string;
  readonly customerId: string;
  readonly currency: string;
  readonly placed: number;
  readonly cancelled: number;
  readonly delivered: number;
  readonly spent: Money;
}

const storedOrder = z.object({
  customer_id: z.string(),
  currency: z.string(),
  total: z.string(),
  status: z.string(),
});

/** The orders a run names are read once (locked), folded in memory, then written with the customers' totals. */
export const applyCustomerOrderStats = foldAndUpsert<
  CustomerOrder,
  z.infer<typeof storedOrder>,
  { readonly customers: CustomerAddition }
>({
  rows: {
    table: 'customer_order_stats_orders',
    key: [
      { name: 'tenant_id', type: 'uuid' },
      { name: 'order_id', type: 'uuid' },
    ],
    columns: [
      { name: 'customer_id', type: 'text', value: (order) => order.customerId },
      { name: 'currency', type: 'text', value: (order) => order.currency },
      { name: 'total', type: 'numeric', value: (order) => order.total },
      { name: 'status', type: 'text', value: (order) => order.status },
    ],
    stored: storedOrder,
    toRow: (stored) => ({
      customerId: stored.customer_id,
      currency: stored.currency,
      total: money(stored.total),
      status: stored.status,
    }),
  },
  totals: {
    customers: {
      table: 'customer_order_stats',
      key: [
        { name: 'tenant_id', type: 'uuid', value: (added) => added.tenantId },
        { name: 'customer_id', type: 'text', value: (added) => added.customerId },
        { name: 'currency', type: 'text', value: (added) => added.currency },
      ],
      totals: [
        { name: 'orders_placed', type: 'int4', value: (added) => added.placed },
        { name: 'orders_cancelled', type: 'int4', value: (added) => added.cancelled },
        { name: 'orders_delivered', type: 'int4', value: (added) => added.delivered },
        { name: 'total_spent', type: 'numeric', value: (added) => added.spent },
      ],
    },
  },
  keyOf: (event) => [event.tenantId, event.aggregateId],
  fold: (order, event) => {
    const step = evolveCustomerOrder(order, event);
    if (!step.change || !step.order) return { row: step.order };
    const { customerId, currency } = step.order;
    return {
      row: step.order,
      adds: { customers: [{ tenantId: event.tenantId, customerId, currency, ...step.change }] },
    };
  },
});

const one = runOfOne(applyCustomerOrderStats);

/** `customer_order_stats`: per customer and currency, orders placed, cancelled, delivered and spent (not cancelled). */
export const customerOrderStatsProjection: Projection = {
  name: 'customer_order_stats',
  sources: ['orders'],
  tables: ['customer_order_stats', 'customer_order_stats_orders'],
  applyMany: applyCustomerOrderStats,
  handlers: { OrderPlaced: one, OrderItemAdded: one, OrderCancelled: one, OrderDelivered: one },
};
