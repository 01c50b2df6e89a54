import { jest } from '@jest/globals';
import type { TenantId } from '../../platform/tenancy/index.ts';
import { WatermarkWaits } from './watermark-waits.ts';

const A = '00000000-0000-4000-8000-00000000000a' as TenantId;
const B = '00000000-0000-4000-8000-00000000000b' as TenantId;

/** Whether the promise has settled once pending microtasks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('an announcement for the projection and tenant wakes the wait; another does not', async () => {
  const waits = new WatermarkWaits({ recheckMs: 60_000 });
  const wakeUp = waits.wakeUp('orders', A);
  const sleeping = wakeUp.within(60_000);
  waits.announce('orders', B);
  waits.announce('tenants', A);
  expect(await settled(sleeping)).toBe(false);
  waits.announce('orders', A);
  expect(await settled(sleeping)).toBe(true);
});

test('the wait learns the announced watermark; a timeout or a resubscription names none', async () => {
  const waits = new WatermarkWaits({ recheckMs: 60_000 });
  const mark = { transactionId: '812', position: 42 };
  const announced = waits.wakeUp('orders', A).within(60_000);
  waits.announce('orders', A, mark);
  expect(await announced).toEqual(mark);
  const resubscribed = waits.wakeUp('orders', A).within(60_000);
  waits.announceAll();
  expect(await resubscribed).toBeUndefined();
  const timedOut = waits.wakeUp('orders', A).within(10);
  jest.advanceTimersByTime(10);
  expect(await timedOut).toBeUndefined();
});

test('an announcement while the wait was looking is not lost', async () => {
  const waits = new WatermarkWaits({ recheckMs: 60_000 });
  const wakeUp = waits.wakeUp('orders', A);
  waits.announce('orders', A);
  expect(await settled(wakeUp.within(60_000))).toBe(true);
});

test('without an announcement the wait sleeps its time out; a cancelled one is forgotten', async () => {
  const waits = new WatermarkWaits({ recheckMs: 60_000 });
  const sleeping = waits.wakeUp('orders', A).within(1_000);
  jest.advanceTimersByTime(999);
  expect(await settled(sleeping)).toBe(false);
  jest.advanceTimersByTime(1);
  expect(await settled(sleeping)).toBe(true);

  const cancelled = waits.wakeUp('orders', A);
  cancelled.cancel();
  const later = waits.wakeUp('orders', A);
  waits.announce('orders', A);
  expect(await settled(later.within(60_000))).toBe(true);
});

test('after a resubscription every wait looks again', async () => {
  const waits = new WatermarkWaits({ recheckMs: 60_000 });
  const a = waits.wakeUp('orders', A).within(60_000);
  const b = waits.wakeUp('tenants', B).within(60_000);
  waits.announceAll();
  expect(await settled(a)).toBe(true);
  expect(await settled(b)).toBe(true);
});

test('waits poll with a backoff until announcements flow, then recheck rarely', () => {
  const waits = new WatermarkWaits({ recheckMs: 250 });
  expect([0, 1, 2, 3, 4, 9].map((attempt) => waits.pauseAfter(attempt))).toEqual([5, 10, 20, 40, 50, 50]);
  waits.announcing = true;
  expect(waits.pauseAfter(0)).toBe(250);
  waits.announcing = false;
  expect(waits.pauseAfter(0)).toBe(5);
});

test('the waits under way are counted, each once', () => {
  const counts: number[] = [];
  const waits = new WatermarkWaits({ recheckMs: 250, onWaiting: (count) => counts.push(count) });
  const first = waits.begin();
  const second = waits.begin();
  first();
  first();
  second();
  expect(counts).toEqual([1, 2, 1, 0]);
});
