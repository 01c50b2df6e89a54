import type { DomainEvent } from '../kernel/index.ts';

export interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

export type OrderPlaced = DomainEvent<
  'OrderPlaced',
  { readonly customerId: string; readonly currency: string; readonly items: readonly OrderLine[] }
>;
export type OrderItemAdded = DomainEvent<'OrderItemAdded', OrderLine>;
export type OrderShipped = DomainEvent<'OrderShipped', { readonly trackingNumber: string }>;
export type OrderDelivered = DomainEvent<'OrderDelivered', { readonly deliveredAt: string | null }>;
export type OrderCancelled = DomainEvent<'OrderCancelled', { readonly reason: string }>;

export type OrderEvent = OrderPlaced | OrderItemAdded | OrderShipped | OrderDelivered | OrderCancelled;
