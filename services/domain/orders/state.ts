import type { OrderEvent, OrderLine } from './events.ts';
import { lineAmount, linesTotal, type Money, plus } from './money.ts';

export type OrderStatus = 'none' | 'placed' | 'shipped' | 'delivered' | 'cancelled';

export interface ExistingOrder {
  readonly status: Exclude<OrderStatus, 'none'>;
  readonly customerId: string;
  readonly currency: string;
  readonly items: readonly OrderLine[];
  /** Sum of quantity × unitPrice over the items, in `currency`. */
  readonly total: Money;
  readonly trackingNumber: string | null;
}

export type OrderState = { readonly status: 'none' } | ExistingOrder;

export const initialOrderState: OrderState = { status: 'none' };

export function evolveOrder(state: OrderState, event: OrderEvent): OrderState {
  if (event.type === 'OrderPlaced') {
    const { customerId, currency, items } = event.data;
    return { status: 'placed', customerId, currency, items, total: linesTotal(items), trackingNumber: null };
  }
  // A stream always opens with OrderPlaced; ignoring anything before it keeps
  // loading total rather than failing on a history that cannot occur.
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'OrderItemAdded':
      return {
        ...state,
        items: [...state.items, event.data],
        total: plus(state.total, lineAmount(event.data)),
      };
    case 'OrderShipped':
      return { ...state, status: 'shipped', trackingNumber: event.data.trackingNumber };
    case 'OrderDelivered':
      return { ...state, status: 'delivered' };
    case 'OrderCancelled':
      return { ...state, status: 'cancelled' };
  }
}
