import { z } from 'zod';
import { money } from '../../domain/orders/index.ts';
import { foldAndUpsert, runOfOne } from '../fold-and-upsert.ts';
import type { Projection } from '../projection.ts';
import { evolveOrderRow, type OrderRow } from './orders-fold.ts';

const storedOrder = z.object({
  customer_id: z.string(),
  customer_email: z.string().nullable(),
  shipping_address: z.string().nullable(),
  status: z.string(),
  currency: z.string(),
  items: z.array(z.object({ sku: z.string(), quantity: z.number(), unitPrice: z.number() })),
  total: z.string(),
  tracking_number: z.string().nullable(),
  cancellation_reason: z.string().nullable(),
  placed_position: z.number().int(),
  placed_at: z.string(),
  updated_at: z.string(),
  version: z.number().int(),
});

/** The orders a run names are read once (locked), folded in memory, and the changed rows written once. */
export const applyOrders = foldAndUpsert<OrderRow, z.infer<typeof storedOrder>, Record<never, never>>({
  rows: {
    table: 'orders',
    key: [
      { name: 'tenant_id', type: 'uuid' },
      { name: 'order_id', type: 'uuid' },
    ],
    columns: [
      { name: 'customer_id', type: 'text', value: (order) => order.customerId },
      { name: 'customer_email', type: 'text', value: (order) => order.customerEmail },
      { name: 'shipping_address', type: 'text', value: (order) => order.shippingAddress },
      { name: 'status', type: 'text', value: (order) => order.status },
      { name: 'currency', type: 'text', value: (order) => order.currency },
      { name: 'items', type: 'jsonb', value: (order) => JSON.stringify(order.items) },
      { name: 'total', type: 'numeric', value: (order) => order.total },
      { name: 'tracking_number', type: 'text', value: (order) => order.trackingNumber },
      { name: 'cancellation_reason', type: 'text', value: (order) => order.cancellationReason },
      { name: 'placed_position', type: 'int8', value: (order) => order.placedPosition },
      { name: 'placed_at', type: 'timestamptz', value: (order) => order.placedAt },
      { name: 'updated_at', type: 'timestamptz', value: (order) => order.updatedAt },
      { name: 'version', type: 'int4', value: (order) => order.version },
    ],
    stored: storedOrder,
    toRow: (stored) => ({
      customerId: stored.customer_id,
      customerEmail: stored.customer_email,
      shippingAddress: stored.shipping_address,
      status: stored.status,
      currency: stored.currency,
      items: stored.items,
      total: money(stored.total),
      trackingNumber: stored.tracking_number,
      cancellationReason: stored.cancellation_reason,
      placedPosition: stored.placed_position,
      placedAt: stored.placed_at,
      updatedAt: stored.updated_at,
      version: stored.version,
    }),
  },
  totals: {},
  keyOf: (event) => [event.tenantId, event.aggregateId],
  fold: (order, event) => ({ row: evolveOrderRow(order, event) }),
});

const one = runOfOne(applyOrders);

/** `orders`: one row per order, as ListOrders and GetOrder answer it. */
export const ordersProjection: Projection = {
  name: 'orders',
  sources: ['orders'],
  tables: ['orders'],
  applyMany: applyOrders,
  handlers: {
    OrderPlaced: one,
    OrderItemAdded: one,
    OrderShipped: one,
    OrderDelivered: one,
    OrderCancelled: one,
  },
};
