import { jest } from '@jest/globals';
import type { DatabasePool } from 'slonik';
import type { EventStore } from '../../eventstore/index.ts';
import { ValidationError } from '../../platform/errors/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import {
  AbsentAtWatermark,
  readReflecting,
  type ResolvedConsistency,
  type Target,
  type Watermark,
} from './read-your-writes.ts';
import { WatermarkWaits } from './watermark-waits.ts';

const A = '00000000-0000-4000-8000-00000000000a' as TenantId;
// An OrderPlaced is handled by `orders`: whether a mark reflects it needs neither the pool nor the store,
// which these specs therefore never reach.
const UNUSED_POOL = {} as DatabasePool;
const UNUSED_STORE = {} as EventStore;
const target: Target = { transactionId: '812', position: 42, eventType: 'OrderPlaced' };
const behind = { watermark: { transactionId: '811', position: 41 } };
const reached = { watermark: { transactionId: '812', position: 42 } };

/** Whether the promise has settled once pending microtasks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
}

function listening(): WatermarkWaits {
  const waits = new WatermarkWaits({ recheckMs: 60_000, announcedIsVisible: true });
  waits.announcing = true;
  return waits;
}

/** Reads `answers` in turn, calling `during` while the n-th read is under way. */
function reads(answers: { watermark: Watermark }[], during: (n: number) => void = () => undefined) {
  let n = 0;
  const read = jest.fn(async () => {
    during(n);
    return answers[Math.min(n++, answers.length - 1)] as { watermark: Watermark };
  });
  return read;
}

/** readReflecting on the `orders` projection of tenant A, for the target unless told otherwise. */
function reflecting<Answer extends { readonly watermark: Watermark }>(
  waits: WatermarkWaits,
  read: () => Promise<Answer>,
  consistency: Promise<ResolvedConsistency> = Promise.resolve({
    target,
    timeoutMs: 60_000,
  }),
): Promise<Answer> {
  return readReflecting(
    UNUSED_POOL,
    UNUSED_STORE,
    { projection: 'orders', tenant: A, waits },
    read,
    consistency,
  );
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('given a first read that reflects the target, when asked, then it is the answer: no wait', async () => {
  const waits = listening();
  const read = reads([reached]);
  const answer = await reflecting(waits, read);
  expect(answer).toBe(reached);
  expect(read).toHaveBeenCalledTimes(1);
});

test('given an announcement while the first read is under way, then the wait does not sleep its recheck', async () => {
  const waits = listening();
  const read = reads([behind, reached], (n) => {
    if (n === 0) waits.announce('orders', A, reached.watermark);
  });
  const answer = reflecting(waits, read);
  expect(await settled(answer)).toBe(true);
  expect(await answer).toBe(reached);
  expect(read).toHaveBeenCalledTimes(2);
});

test('given a behind first read, when the announcement comes later, then the answer is read again', async () => {
  const waits = listening();
  const read = reads([behind, reached]);
  const answer = reflecting(waits, read);
  expect(await settled(answer)).toBe(false);
  waits.announce('orders', A, reached.watermark);
  expect(await answer).toBe(reached);
});

test('given a position that names no event, then the wait is refused while the read is under way', async () => {
  const waits = listening();
  const refused = new ValidationError('invalid X-Min-Position');
  const answer = reflecting(waits, reads([behind]), Promise.reject(refused));
  await expect(answer).rejects.toBe(refused);
});

test('given a first read that finds nothing before the target, then it waits and reads again', async () => {
  const waits = listening();
  const read = jest.fn(async () => {
    if (read.mock.calls.length === 1) throw new AbsentAtWatermark('no order', behind.watermark);
    return reached;
  });
  const answer = reflecting(waits, read);
  expect(await settled(answer)).toBe(false);
  waits.announce('orders', A, reached.watermark);
  expect(await answer).toBe(reached);
});

test('given a first read that finds nothing at the target, then that is the answer: a 404', async () => {
  const missing = new AbsentAtWatermark('no order', reached.watermark);
  const read = jest.fn(async (): Promise<typeof reached> => {
    throw missing;
  });
  const answer = reflecting(listening(), read);
  await expect(answer).rejects.toBe(missing);
  expect(read).toHaveBeenCalledTimes(1);
});
