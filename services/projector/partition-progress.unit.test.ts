import { PartitionProgress } from './partition-progress.ts';

function clocked() {
  let now = 1_000;
  const progress = new PartitionProgress(5_000, () => now);
  return { progress, advance: (ms: number) => void (now += ms) };
}

test('a batch in hand that never commits reads as stalled after the stall time, naming its partition', () => {
  const { progress, advance } = clocked();
  progress.batchStarted('orders.events', 3);
  advance(4_999);
  expect(progress.stalled()).toEqual([]);
  advance(1);
  expect(progress.stalled()).toEqual([{ topic: 'orders.events', partition: 3, stuckForMs: 5_000 }]);
  progress.batchCommitted('orders.events', 3, 0);
  expect(progress.stalled()).toEqual([]);
});

test('a caught-up partition is never stalled, however long it stays quiet', () => {
  const { progress, advance } = clocked();
  progress.batchStarted('orders.events', 0);
  progress.batchCommitted('orders.events', 0, 0);
  advance(3_600_000);
  expect(progress.stalled()).toEqual([]);
});

test('lag left after a batch that no later batch takes reads as stalled; progress resets the clock', () => {
  const { progress, advance } = clocked();
  progress.batchStarted('orders.events', 1);
  progress.batchCommitted('orders.events', 1, 40);
  advance(4_000);
  progress.batchStarted('orders.events', 1);
  progress.batchCommitted('orders.events', 1, 20);
  advance(4_000);
  expect(progress.stalled()).toEqual([]);
  advance(1_000);
  expect(progress.stalled()).toEqual([{ topic: 'orders.events', partition: 1, stuckForMs: 5_000 }]);
});

test('work that waits counts from when it arrived, not from the last commit long before', () => {
  const { progress, advance } = clocked();
  progress.batchStarted('orders.events', 2);
  progress.batchCommitted('orders.events', 2, 0);
  advance(60_000);
  progress.batchStarted('orders.events', 2);
  advance(1_000);
  expect(progress.stalled()).toEqual([]);
});

test('partitions handed to another replica are forgotten', () => {
  const { progress, advance } = clocked();
  progress.batchStarted('orders.events', 4);
  progress.batchStarted('orders.events', 5);
  progress.assigned({ 'orders.events': [5] });
  advance(10_000);
  expect(progress.stalled().map((stall) => stall.partition)).toEqual([5]);
});

test('a batch dropped unapplied (a seek, a rebalance, a stop) is no stall; lag left before it still is', () => {
  const { progress, advance } = clocked();
  progress.batchStarted('tenants.events', 0);
  progress.batchCommitted('tenants.events', 0, 0);
  progress.batchStarted('tenants.events', 0);
  progress.batchDropped('tenants.events', 0);
  advance(60_000);
  expect(progress.stalled()).toEqual([]);

  progress.batchStarted('tenants.events', 1);
  progress.batchCommitted('tenants.events', 1, 7);
  progress.batchStarted('tenants.events', 1);
  progress.batchDropped('tenants.events', 1);
  advance(5_000);
  expect(progress.stalled()).toEqual([{ topic: 'tenants.events', partition: 1, stuckForMs: 5_000 }]);
});
