import type { TenantId } from '../../platform/tenancy/index.ts';
import type { ProjectedEvent } from '../projection.ts';
import { evolveTenantOrder } from './tenant-stats-fold.ts';

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
    currency: 'USD',
    items: [{ sku: 'a', quantity: 4, unitPrice: 2.5 }],
  });

test('given no order, when placed, then one more placed order and its revenue', () => {
  const step = evolveTenantOrder(undefined, placed());
  expect(step.counts).toEqual([['placed', 1]]);
  expect(step.revenue).toBe('10.0');
});

test('given a placed order, when shipped, then it moves from placed to shipped and revenue is untouched', () => {
  const step = evolveTenantOrder(evolveTenantOrder(undefined, placed()).order, event('OrderShipped'));
  expect(step.order?.status).toBe('shipped');
  expect(step.counts).toEqual([
    ['placed', -1],
    ['shipped', 1],
  ]);
  expect(step.revenue).toBeUndefined();
});

test('given an order with an added item, when cancelled, then its whole total is taken back', () => {
  const withItem = evolveTenantOrder(
    evolveTenantOrder(undefined, placed()).order,
    event('OrderItemAdded', { sku: 'b', quantity: 1, unitPrice: 0.5 }),
  );
  expect(withItem.revenue).toBe('0.5');
  const cancelled = evolveTenantOrder(withItem.order, event('OrderCancelled', { reason: 'x' }));
  expect(cancelled.revenue).toBe('-10.5');
});

test('given an order already in a status, when moved there again, then nothing is counted', () => {
  const shipped = evolveTenantOrder(
    evolveTenantOrder(undefined, placed()).order,
    event('OrderShipped'),
  ).order;
  expect(evolveTenantOrder(shipped, event('OrderShipped')).counts).toEqual([]);
});

test('given an unknown order, when a later event comes, then nothing changes', () => {
  expect(evolveTenantOrder(undefined, event('OrderShipped'))).toEqual({ order: undefined, counts: [] });
});
