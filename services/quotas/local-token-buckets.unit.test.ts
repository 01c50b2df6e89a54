import { randomUUID } from 'node:crypto';
import type { CommandRate } from './token-bucket.ts';
import { ValidationError } from '../platform/errors/index.ts';
import { type TenantId, tenantId } from '../platform/tenancy/index.ts';
import { LocalTokenBuckets } from './local-token-buckets.ts';
import { checkTake, takeTokens } from './token-bucket.ts';

/** 1 token per 100 ms, 3 at most. */
const quota: CommandRate = { commandsPerMinute: 600, maxBurst: 3 };

function newTenant(): TenantId {
  return tenantId(randomUUID());
}

function withClock(start = 1_000) {
  let now = start;
  return {
    buckets: new LocalTokenBuckets(() => now),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('LocalTokenBuckets', () => {
  test('a new tenant gets its whole burst at once, then waits for the refill', () => {
    const { buckets } = withClock();
    const tenant = newTenant();
    expect([1, 2, 3].map(() => buckets.take(tenant, quota, 1))).toEqual([
      { allowed: true, retryAfterMs: 0, remaining: 2 },
      { allowed: true, retryAfterMs: 0, remaining: 1 },
      { allowed: true, retryAfterMs: 0, remaining: 0 },
    ]);
    expect(buckets.take(tenant, quota, 1)).toEqual({ allowed: false, retryAfterMs: 100, remaining: 0 });
  });

  test('tokens come back at commandsPerMinute / 60 per second, and retryAfterMs shrinks with them', () => {
    const { buckets, advance } = withClock();
    const tenant = newTenant();
    buckets.take(tenant, quota, 3);
    advance(40);
    expect(buckets.take(tenant, quota, 1)).toEqual({ allowed: false, retryAfterMs: 60, remaining: 0 });
    advance(60);
    expect(buckets.take(tenant, quota, 1)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
    advance(250);
    expect(buckets.take(tenant, quota, 2)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
  });

  test('a refill never exceeds the burst', () => {
    const { buckets, advance } = withClock();
    const tenant = newTenant();
    buckets.take(tenant, quota, 1);
    advance(60 * 60_000);
    expect(buckets.take(tenant, quota, 1).remaining).toBe(2);
  });

  test('a costly take waits for all its tokens', () => {
    const { buckets } = withClock();
    const tenant = newTenant();
    buckets.take(tenant, quota, 2);
    expect(buckets.take(tenant, quota, 3)).toEqual({ allowed: false, retryAfterMs: 200, remaining: 1 });
    expect(buckets.take(tenant, quota, 1)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
  });

  test("one tenant's exhaustion leaves another's bucket alone", () => {
    const { buckets } = withClock();
    const [greedy, quiet] = [newTenant(), newTenant()];
    buckets.take(greedy, quota, 3);
    expect(buckets.take(greedy, quota, 1).allowed).toBe(false);
    expect(buckets.take(quiet, quota, 3)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
  });

  test('a changed quota applies on the next take', () => {
    const { buckets, advance } = withClock();
    const tenant = newTenant();
    buckets.take(tenant, { commandsPerMinute: 60, maxBurst: 10 }, 1);
    expect(buckets.take(tenant, { commandsPerMinute: 60, maxBurst: 2 }, 1).remaining).toBe(1);
    buckets.take(tenant, { commandsPerMinute: 60, maxBurst: 2 }, 1);
    advance(100);
    // 6000/min is 10 per 100 ms; the bucket now holds up to 20.
    expect(buckets.take(tenant, { commandsPerMinute: 6000, maxBurst: 20 }, 10)).toEqual({
      allowed: true,
      retryAfterMs: 0,
      remaining: 0,
    });
  });

  test('buckets that have filled up again are forgotten, and count as full when the tenant returns', () => {
    const { buckets, advance } = withClock();
    const [idle, busy] = [newTenant(), newTenant()];
    buckets.take(idle, quota, 3);
    advance(59_000);
    buckets.take(busy, { commandsPerMinute: 1, maxBurst: 5 }, 5);
    advance(1_000);
    buckets.take(busy, { commandsPerMinute: 1, maxBurst: 5 }, 1);
    expect(buckets.size).toBe(1);
    expect(buckets.take(idle, quota, 3).allowed).toBe(true);
  });
});

describe('takeTokens', () => {
  test('a clock going backwards refills nothing', () => {
    const first = takeTokens(undefined, quota, 3, 5_000);
    expect(takeTokens(first.state, quota, 1, 4_000)).toMatchObject({ allowed: false, retryAfterMs: 100 });
  });
});

describe('checkTake', () => {
  test('a batch larger than the burst is refused as invalid: no wait would admit it', () => {
    expect(() => checkTake(quota, 4)).toThrow(ValidationError);
  });

  test.each([0, -1, 1.5, Number.NaN])('a cost of %p is a programming error', (cost) => {
    expect(() => checkTake(quota, cost)).toThrow(RangeError);
  });

  test.each([
    { commandsPerMinute: 0, maxBurst: 3 },
    { commandsPerMinute: 60, maxBurst: 0 },
    { commandsPerMinute: Number.POSITIVE_INFINITY, maxBurst: 3 },
  ])('a quota %p that could never refill or hold a token is refused', (unusable) => {
    expect(() => checkTake(unusable, 1)).toThrow(RangeError);
  });
});
