import type { DomainEvent } from '../kernel/index.ts';

export interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

export type OrderPlaced = DomainEvent<
  'OrderPlaced',
  {
    readonly customerId: string;
    /** Personal data of the customer: null when not given, and once the customer is forgotten. */
    readonly customerEmail: string | null;
    readonly shippingAddress: string | null;
    readonly currency: string;
    readonly items: readonly OrderLine[];
  }
>;
export type OrderItemAdded = DomainEvent<'OrderItemAdded', OrderLine>;
export type OrderShipped = DomainEvent<'OrderShipped', { readonly trackingNumber: string }>;
export type OrderDelivered = DomainEvent<'OrderDelivered', { readonly deliveredAt: string | null }>;
export type OrderCancelled = DomainEvent<'OrderCancelled', { readonly reason: string }>;

export type OrderEvent = OrderPlaced | OrderItemAdded | OrderShipped | OrderDelivered | OrderCancelled;
