import { z } from 'zod';
import { type Money, money } from '../../domain/orders/index.ts';
import { foldAndUpsert, runOfOne } from '../fold-and-upsert.ts';
import type { Projection } from '../projection.ts';
import { evolveTenantOrder, type TenantOrder } from './tenant-stats-fold.ts';

interface TenantTotals {
  readonly counts: { readonly tenantId: string; readonly status: string; readonly orders: number };
  readonly revenue: { readonly tenantId: string; readonly currency: string; readonly revenue: Money };
}

const storedOrder = z.object({ currency: z.string(), total: z.string(), status: z.string() });

/** The orders a run names are read once (locked), folded in memory, then written with the counts and revenues. */
export const applyTenantStats = foldAndUpsert<TenantOrder, z.infer<typeof storedOrder>, TenantTotals>({
  rows: {
    table: 'tenant_stats_orders',
    key: [
      { name: 'tenant_id', type: 'uuid' },
      { name: 'order_id', type: 'uuid' },
    ],
    columns: [
      { name: 'currency', type: 'text', value: (order) => order.currency },
      { name: 'total', type: 'numeric', value: (order) => order.total },
      { name: 'status', type: 'text', value: (order) => order.status },
    ],
    stored: storedOrder,
    toRow: (stored) => ({ currency: stored.currency, total: money(stored.total), status: stored.status }),
  },
  totals: {
    counts: {
      table: 'tenant_order_counts',
      key: [
        { name: 'tenant_id', type: 'uuid', value: (added) => added.tenantId },
        { name: 'status', type: 'text', value: (added) => added.status },
      ],
      totals: [{ name: 'orders', type: 'int4', value: (added) => added.orders }],
    },
    revenue: {
      table: 'tenant_revenue',
      key: [
        { name: 'tenant_id', type: 'uuid', value: (added) => added.tenantId },
        { name: 'currency', type: 'text', value: (added) => added.currency },
      ],
      totals: [{ name: 'revenue', type: 'numeric', value: (added) => added.revenue }],
    },
  },
  keyOf: (event) => [event.tenantId, event.aggregateId],
  fold: (order, event) => {
    const step = evolveTenantOrder(order, event);
    const { tenantId } = event;
    return {
      row: step.order,
      adds: {
        counts: step.counts.map(([status, orders]) => ({ tenantId, status, orders })),
        revenue:
          step.revenue && step.order
            ? [{ tenantId, currency: step.order.currency, revenue: step.revenue }]
            : [],
      },
    };
  },
});

const one = runOfOne(applyTenantStats);

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
