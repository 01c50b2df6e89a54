import type { TenantId } from '../../platform/tenancy/index.ts';
import type { ProjectedEvent } from '../projection.ts';
import { type CustomerOrder, evolveCustomerOrder } from './customer-order-stats-fold.ts';

let version = 0;
function event(type: string, data: Record<string, unknown> = {}): ProjectedEvent {
  version++;
  return {
    eventId: `e${version}`,
    type,
    tenantId: '00000000-0000-4000-8000-000000000001' as TenantId,
    aggregateId: '00000000-0000-4000-8000-0000000000aa',
    aggregateVersion: version,
    globalPosition: version,
    occurredAt: new Date(0),
    data,
  };
}

const placed = () =>
  event('OrderPlaced', {
    customerId: 'c1',
    currency: 'EUR',
    items: [
      { sku: 'a', quantity: 2, unitPrice: 1.5 },
      { sku: 'b', quantity: 1, unitPrice: 0.25 },
    ],
  });

test('given no order, when it is placed, then its customer counts one order and spends its lines', () => {
  const step = evolveCustomerOrder(undefined, placed());
  expect(step.order).toMatchObject({ customerId: 'c1', currency: 'EUR', status: 'placed' });
  expect(step.order?.total).toBe('3.25');
  expect(step.change?.placed).toBe(1);
  expect(step.change?.spent).toBe('3.25');
});

test('given a placed order, when an item is added, then total and spending grow by the line', () => {
  const order = evolveCustomerOrder(undefined, placed()).order;
  const step = evolveCustomerOrder(order, event('OrderItemAdded', { sku: 'c', quantity: 3, unitPrice: 0.1 }));
  expect(step.order?.total).toBe('3.55');
  expect(step.change?.spent).toBe('0.3');
});

test('given a placed order, when cancelled, then the spending is taken back, and a second cancel does nothing', () => {
  const order = evolveCustomerOrder(undefined, placed()).order;
  const cancelled = evolveCustomerOrder(order, event('OrderCancelled', { reason: 'x' }));
  expect(cancelled.change?.cancelled).toBe(1);
  expect(cancelled.change?.spent).toBe('-3.25');
  const again = evolveCustomerOrder(cancelled.order, event('OrderCancelled', { reason: 'x' }));
  expect(again).toEqual({ order: cancelled.order });
});

test('given a cancelled order, when an item is added, then the total grows but the spending does not', () => {
  const order: CustomerOrder | undefined = evolveCustomerOrder(
    evolveCustomerOrder(undefined, placed()).order,
    event('OrderCancelled', { reason: 'x' }),
  ).order;
  const step = evolveCustomerOrder(order, event('OrderItemAdded', { sku: 'c', quantity: 1, unitPrice: 1 }));
  expect(step.change).toBeUndefined();
  expect(step.order?.total).toBe('4.25');
});

test('given an unknown order, when a later event comes, then nothing changes', () => {
  expect(evolveCustomerOrder(undefined, event('OrderDelivered'))).toEqual({ order: undefined });
});

test('given a placed order, when it is placed again, then the event is refused', () => {
  const order = evolveCustomerOrder(undefined, placed()).order;
  expect(() => evolveCustomerOrder(order, placed())).toThrow(/placed already/);
});
