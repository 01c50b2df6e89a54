import { endOfUtcDay, utcDay } from './utc-day.ts';

test('a UTC day runs from midnight to midnight, whatever the local time zone', () => {
  expect(utcDay(Date.UTC(2030, 0, 1, 23, 59, 59, 999))).toBe('2030-01-01');
  expect(utcDay(Date.UTC(2030, 0, 2))).toBe('2030-01-02');
  expect(endOfUtcDay(Date.UTC(2030, 0, 1))).toBe(Date.UTC(2030, 0, 2));
  expect(endOfUtcDay(Date.UTC(2030, 0, 1, 23, 59))).toBe(Date.UTC(2030, 0, 2));
});

test('a day asked after a later one is its own, not the one asked before', () => {
  expect(utcDay(Date.UTC(2030, 0, 2, 12))).toBe('2030-01-02');
  expect(utcDay(Date.UTC(2030, 0, 1, 23, 59, 59, 999))).toBe('2030-01-01');
  expect(utcDay(Date.UTC(2030, 0, 2))).toBe('2030-01-02');
  expect(utcDay(Date.UTC(1969, 11, 31, 23))).toBe('1969-12-31');
  expect(utcDay(Date.UTC(2030, 0, 3))).toBe('2030-01-03');
});
