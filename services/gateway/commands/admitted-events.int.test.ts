import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { endpoints } from '../../../test/support/endpoints.ts';
import { uniqueName } from '../../../test/support/names.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { QuotaExceededError, ValidationError } from '../../platform/errors/index.ts';
import { openRedis } from '../../platform/redis/index.ts';
import { type TenantId, tenantId } from '../../platform/tenancy/index.ts';
import { CommandQuota, DailyEventQuota } from '../../quotas/index.ts';
import { AdmittedEvents } from './admitted-events.ts';

// What the day's counter holds after each way a command's events end, guessed in advance.

const keyPrefix = `${uniqueName('admitted')}:`;
const LIMIT = 5;
const quota = { commandsPerMinute: 6_000, maxBurst: 100 };
let redis: Redis;
let commands: CommandQuota;
let events: DailyEventQuota;

function refuse(retryAfterMs: number): never {
  throw new QuotaExceededError('over the daily events', retryAfterMs);
}

/** A command admitted the way the gate admits it: its token and one event guessed, in one call. */
async function admitted(tenant: TenantId): Promise<AdmittedEvents> {
  const decision = await commands.admit(tenant, quota, events.reservation(tenant, 1, LIMIT));
  return new AdmittedEvents(events, tenant, LIMIT, decision.eventsReserved, refuse);
}

async function counted(tenant: TenantId): Promise<number> {
  return events.usedToday(tenant);
}

beforeAll(async () => {
  redis = openRedis({ url: endpoints().redisUrl });
  await waitFor('redis', () => (redis.status === 'ready' ? true : undefined), { timeoutMs: 5_000 });
  commands = new CommandQuota(redis, { keyPrefix, redisTimeoutMs: 2_000 });
  events = new DailyEventQuota(redis, { keyPrefix, redisTimeoutMs: 2_000 });
});

afterAll(async () => {
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

test('a decision of the guessed size keeps the reservation made with the token', async () => {
  const tenant = tenantId(randomUUID());
  const admission = await admitted(tenant);
  await admission.reserve(1);
  await admission.settle();
  expect(await counted(tenant)).toBe(1);
});

test('a larger decision reserves the rest, a smaller one or none gives the guess back', async () => {
  const tenant = tenantId(randomUUID());
  const larger = await admitted(tenant);
  await larger.reserve(3);
  await larger.settle();
  expect(await counted(tenant)).toBe(3);
  const none = await admitted(tenant);
  await none.settle();
  expect(await counted(tenant)).toBe(3);
});

test('a decision that does not fit is refused and counts nothing, the guess included', async () => {
  const tenant = tenantId(randomUUID());
  await events.record(tenant, 3, LIMIT);
  const admission = await admitted(tenant);
  expect(await counted(tenant)).toBe(4);
  await expect(admission.reserve(3)).rejects.toBeInstanceOf(QuotaExceededError);
  await admission.settle();
  expect(await counted(tenant)).toBe(3);
  // A decision over the whole limit is invalid, as DailyEventQuota.record() says.
  const oversized = await admitted(tenant);
  await expect(oversized.reserve(LIMIT + 1)).rejects.toBeInstanceOf(ValidationError);
  await oversized.settle();
  expect(await counted(tenant)).toBe(3);
});

test('a guess that did not fit the day leaves the exact count to be reserved, and refused, later', async () => {
  const tenant = tenantId(randomUUID());
  await events.record(tenant, LIMIT, LIMIT);
  const admission = await admitted(tenant);
  expect(await counted(tenant)).toBe(LIMIT);
  await expect(admission.reserve(1)).rejects.toBeInstanceOf(QuotaExceededError);
  expect(await counted(tenant)).toBe(LIMIT);
});

test('events given back after a failed append are given back once', async () => {
  const tenant = tenantId(randomUUID());
  const admission = await admitted(tenant);
  await admission.reserve(2);
  await admission.release(2);
  await admission.settle();
  expect(await counted(tenant)).toBe(0);
});
