import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { endpoints } from '../../test/support/endpoints.ts';
import { uniqueName } from '../../test/support/names.ts';
import { waitFor } from '../../test/support/wait.ts';
import { type TenantId, tenantId } from '../platform/tenancy/index.ts';
import { openRedis } from '../platform/redis/index.ts';
import { CommandQuota, DailyEventQuota } from './index.ts';
import { takeToken } from '../../test/support/command-tokens.ts';
import type { CommandRate } from './token-bucket.ts';

// CommandQuota.admit: a command's token and its guessed events in one Redis round trip.

const keyPrefix = `${uniqueName('admission')}:`;
const DAY_MS = 86_400_000;
const now = Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS / 2;
let redis: Redis;
let commands: CommandQuota;
let events: DailyEventQuota;
const fallbacks: unknown[] = [];

function newTenant(): TenantId {
  return tenantId(randomUUID());
}

function dayKey(tenant: TenantId): string {
  return `${keyPrefix}events:{${tenant}}:${new Date(now).toISOString().slice(0, 10)}`;
}

beforeAll(async () => {
  redis = openRedis({ url: endpoints().redisUrl });
  await waitFor('redis', () => (redis.status === 'ready' ? true : undefined), { timeoutMs: 5_000 });
  const options = { keyPrefix, redisTimeoutMs: 2_000, onFallback: (error: unknown) => fallbacks.push(error) };
  commands = new CommandQuota(redis, options);
  events = new DailyEventQuota(redis, { ...options, now: () => now });
});

afterEach(() => {
  expect(fallbacks).toEqual([]);
});

afterAll(async () => {
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

test('an allowed command takes its token and reserves the events that fit, as a token and a record taken apart would', async () => {
  const quota: CommandRate = { commandsPerMinute: 60, maxBurst: 2 };
  const tenant = newTenant();
  expect(await commands.admit(tenant, quota, events.reservation(tenant, 1, 5))).toEqual({
    allowed: true,
    retryAfterMs: 0,
    remaining: 1,
    degraded: false,
    eventsReserved: 1,
  });
  expect(await redis.get(dayKey(tenant))).toBe('1');
  expect(await redis.pexpiretime(dayKey(tenant))).toBe(Math.floor(now / DAY_MS) * DAY_MS + 2 * DAY_MS);
  // The same bucket as a token taken alone.
  expect(await takeToken(commands, tenant, quota, keyPrefix)).toMatchObject({ allowed: true, remaining: 0 });
});

test('a command over its rate is refused as its bucket alone refuses it, and reserves nothing', async () => {
  const quota: CommandRate = { commandsPerMinute: 60, maxBurst: 1 };
  const tenant = newTenant();
  await takeToken(commands, tenant, quota, keyPrefix);
  const refused = await commands.admit(tenant, quota, events.reservation(tenant, 1, 5));
  expect(refused).toMatchObject({ allowed: false, remaining: 0, degraded: false, eventsReserved: 0 });
  expect(refused.retryAfterMs).toBeGreaterThan(0);
  expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000);
  expect(await redis.exists(dayKey(tenant))).toBe(0);
});

test("events that do not fit the day are not reserved, and the command's token is still taken", async () => {
  const quota: CommandRate = { commandsPerMinute: 60, maxBurst: 5 };
  const tenant = newTenant();
  await events.record(tenant, 5, 5);
  expect(await commands.admit(tenant, quota, events.reservation(tenant, 1, 5))).toMatchObject({
    allowed: true,
    remaining: 4,
    eventsReserved: 0,
  });
  expect(await redis.get(dayKey(tenant))).toBe('5');
});

test('with Redis unreachable the command is decided locally and nothing is reserved', async () => {
  const down = openRedis({ url: 'redis://127.0.0.1:1' });
  const failed: unknown[] = [];
  const local = new CommandQuota(down, { keyPrefix, onFallback: (error) => failed.push(error) });
  const quota: CommandRate = { commandsPerMinute: 60, maxBurst: 1 };
  const tenant = newTenant();
  try {
    expect(await local.admit(tenant, quota, events.reservation(tenant, 1, 5))).toMatchObject({
      allowed: true,
      degraded: true,
      eventsReserved: 0,
    });
    expect(await local.admit(tenant, quota, events.reservation(tenant, 1, 5))).toMatchObject({
      allowed: false,
      degraded: true,
      eventsReserved: 0,
    });
    expect(failed).toHaveLength(1);
  } finally {
    down.disconnect();
  }
});
