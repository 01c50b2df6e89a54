import {
  lineAmount,
  linesTotal,
  type Money,
  negated,
  type OrderItemAdded,
  type OrderPlaced,
  plus,
  ZERO_MONEY,
} from '../../domain/orders/index.ts';
import { dataOf, type ProjectedEvent } from '../projection.ts';

/** The few facts of an order this projection keeps (later events do not name the customer). */
export interface CustomerOrder {
  readonly customerId: string;
  readonly currency: string;
  readonly total: Money;
  readonly status: string;
}

/** What one event adds to its customer's row (in the order's currency). */
export interface CustomerStatsChange {
  readonly placed: number;
  readonly cancelled: number;
  readonly delivered: number;
  readonly spent: Money;
}

export interface CustomerOrderStep {
  readonly order: CustomerOrder | undefined;
  /** Absent: the customer's row is not touched. */
  readonly change?: CustomerStatsChange;
}

const NOTHING = { placed: 0, cancelled: 0, delivered: 0, spent: ZERO_MONEY };

/**
 * One event applied to an order's facts: the handlers and the bulk apply both
 * fold with it, so they cannot disagree. An order placed twice is refused
 * (never in a sound event store): the event is then parked.
 */
export function evolveCustomerOrder(
  order: CustomerOrder | undefined,
  event: ProjectedEvent,
): CustomerOrderStep {
  if (event.type === 'OrderPlaced') {
    if (order) throw new Error(`order ${event.aggregateId} was placed already`);
    const { customerId, currency, items } = dataOf<OrderPlaced['data']>(event);
    const total = linesTotal(items);
    return {
      order: { customerId, currency, total, status: 'placed' },
      change: { ...NOTHING, placed: 1, spent: total },
    };
  }
  if (!order) return { order };
  switch (event.type) {
    case 'OrderItemAdded': {
      const line = lineAmount(dataOf<OrderItemAdded['data']>(event));
      const next = { ...order, total: plus(order.total, line) };
      return order.status === 'cancelled'
        ? { order: next }
        : { order: next, change: { ...NOTHING, spent: line } };
    }
    case 'OrderCancelled':
      if (order.status === 'cancelled') return { order };
      return {
        order: { ...order, status: 'cancelled' },
        change: { ...NOTHING, cancelled: 1, spent: negated(order.total) },
      };
    case 'OrderDelivered':
      if (order.status === 'delivered') return { order };
      return { order: { ...order, status: 'delivered' }, change: { ...NOTHING, delivered: 1 } };
    default:
      return { order };
  }
}
