import {
  lineAmount,
  linesTotal,
  type Money,
  negated,
  type OrderItemAdded,
  type OrderPlaced,
  plus,
} from '../../domain/orders/index.ts';
import { dataOf, type ProjectedEvent } from '../projection.ts';

/** The facts of an order this projection keeps. */
export interface TenantOrder {
  readonly currency: string;
  readonly total: Money;
  readonly status: string;
}

export interface TenantOrderStep {
  readonly order: TenantOrder | undefined;
  /** Orders counted per status: +1 or -1 each (a row is written for each status named, even if it nets to 0). */
  readonly counts: readonly (readonly [status: string, delta: number])[];
  /** Added to the revenue of the order's currency; absent: that row is not touched. */
  readonly revenue?: Money;
}

const MOVES: Readonly<Record<string, string>> = {
  OrderShipped: 'shipped',
  OrderDelivered: 'delivered',
  OrderCancelled: 'cancelled',
};

/**
 * One event applied to an order's facts: the handlers and the bulk apply both
 * fold with it. A move to another status moves the counts; a cancellation
 * takes the order's revenue back. An order placed twice is refused.
 */
export function evolveTenantOrder(order: TenantOrder | undefined, event: ProjectedEvent): TenantOrderStep {
  if (event.type === 'OrderPlaced') {
    if (order) throw new Error(`order ${event.aggregateId} was placed already`);
    const { currency, items } = dataOf<OrderPlaced['data']>(event);
    const total = linesTotal(items);
    return { order: { currency, total, status: 'placed' }, counts: [['placed', 1]], revenue: total };
  }
  if (!order) return { order, counts: [] };
  if (event.type === 'OrderItemAdded') {
    const line = lineAmount(dataOf<OrderItemAdded['data']>(event));
    const next = { ...order, total: plus(order.total, line) };
    return order.status === 'cancelled'
      ? { order: next, counts: [] }
      : { order: next, counts: [], revenue: line };
  }
  const status = MOVES[event.type];
  if (!status || order.status === status) return { order, counts: [] };
  return {
    order: { ...order, status },
    counts: [
      [order.status, -1],
      [status, 1],
    ],
    ...(status === 'cancelled' ? { revenue: negated(order.total) } : {}),
  };
}
