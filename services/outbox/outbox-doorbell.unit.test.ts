import { jest } from '@jest/globals';
import { OutboxDoorbell } from './outbox-doorbell.ts';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

function doorbell() {
  const rings: (readonly string[])[] = [];
  const bell = new OutboxDoorbell(async (tenants) => {
    rings.push(tenants);
  }, 2);
  return { bell, rings };
}

test('the first ring after a quiet interval goes at the end of the turn: a lone commit waits on no timer', () => {
  const { bell, rings } = doorbell();
  bell.ring('tenant-a');
  expect(rings).toEqual([]);
  jest.advanceTimersByTime(0);
  expect(rings).toEqual([['tenant-a']]);
  jest.advanceTimersByTime(5);
  bell.ring('tenant-b');
  jest.advanceTimersByTime(0);
  expect(rings).toEqual([['tenant-a'], ['tenant-b']]);
});

test('the rings of one turn (a creation batch answered) share one NOTIFY, and none follows it', () => {
  const { bell, rings } = doorbell();
  bell.ring('tenant-a');
  bell.ring('tenant-b');
  bell.ring('tenant-a');
  jest.advanceTimersByTime(0);
  expect(rings).toEqual([['tenant-a', 'tenant-b']]);
  jest.advanceTimersByTime(10);
  expect(rings).toEqual([['tenant-a', 'tenant-b']]);
});

test('rings within the interval share one NOTIFY at its end, each tenant named once', () => {
  const { bell, rings } = doorbell();
  bell.ring('tenant-a');
  jest.advanceTimersByTime(0);
  jest.advanceTimersByTime(1);
  bell.ring('tenant-b');
  bell.ring('tenant-c');
  bell.ring('tenant-b');
  expect(rings).toEqual([['tenant-a']]);
  jest.advanceTimersByTime(1);
  expect(rings).toEqual([['tenant-a'], ['tenant-b', 'tenant-c']]);
});

test('flush sends what is pending without waiting for the turn or the interval', async () => {
  const { bell, rings } = doorbell();
  bell.ring('tenant-a');
  await bell.flush();
  expect(rings).toEqual([['tenant-a']]);
  bell.ring('tenant-b');
  await bell.flush();
  expect(rings).toEqual([['tenant-a'], ['tenant-b']]);
  jest.advanceTimersByTime(10);
  expect(rings).toEqual([['tenant-a'], ['tenant-b']]);
});
