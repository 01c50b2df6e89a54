import type { OrderItemAdded, OrderPlaced } from '../../domain/orders/index.ts';
import { type Decimal, decimal, negated, plus, times, ZERO } from '../decimal.ts';
import { dataOf, type ProjectedEvent } from '../projection.ts';

/** The few facts of an order this projection keeps (later events do not name the customer). */
export interface CustomerOrder {
  readonly customerId: string;
  readonly currency: string;
  readonly total: Decimal;
  readonly status: string;
}

/** What one event adds to its customer's row (in the order's currency). */
export interface CustomerStatsChange {
  readonly placed: number;
  readonly cancelled: number;
  readonly delivered: number;
  readonly spent: Decimal;
}

export interface CustomerOrderStep {
  readonly order: CustomerOrder | undefined;
  /** Absent: the customer's row is not touched. */
  readonly change?: CustomerStatsChange;
}

const NOTHING = { placed: 0, cancelled: 0, delivered: 0, spent: ZERO };

/** Sum of the lines, as `sum(quantity::numeric * unitPrice::numeric)` gives it (0 without lines). */
export function linesTotal(lines: readonly { quantity: number; unitPrice: number }[]): Decimal {
  return (
    lines.reduce<Decimal | undefined>((sum, line) => {
      const amount = times(decimal(line.quantity), decimal(line.unitPrice));
      return sum ? plus(sum, amount) : amount;
    }, undefined) ?? ZERO
  );
}

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
      const { quantity, unitPrice } = dataOf<OrderItemAdded['data']>(event);
      const line = times(decimal(quantity), decimal(unitPrice));
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

/** Two changes of one customer row, added. */
export function combined(left: CustomerStatsChange, right: CustomerStatsChange): CustomerStatsChange {
  return {
    placed: left.placed + right.placed,
    cancelled: left.cancelled + right.cancelled,
    delivered: left.delivered + right.delivered,
    spent: plus(left.spent, right.spent),
  };
}
