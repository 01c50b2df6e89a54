import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { endpoints } from '../../test/support/endpoints.ts';
import { uniqueName } from '../../test/support/names.ts';
import { waitFor } from '../../test/support/wait.ts';
import { ValidationError } from '../platform/errors/index.ts';
import { type TenantId, tenantId } from '../platform/tenancy/index.ts';
import { openRedis } from '../platform/redis/index.ts';
import { DailyEventQuota } from './index.ts';

const keyPrefix = `${uniqueName('quotas')}:`;
let replicaA: Redis;
let replicaB: Redis;
// Days around the real today, so a key a failed cleanup leaves behind still expires within days.
const DAY_MS = 86_400_000;
const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
let now = today;
let quotaA: DailyEventQuota;
let quotaB: DailyEventQuota;

function newTenant(): TenantId {
  return tenantId(randomUUID());
}

beforeAll(async () => {
  [replicaA, replicaB] = [openRedis({ url: endpoints().redisUrl }), openRedis({ url: endpoints().redisUrl })];
  await waitFor('the quota redis clients to be ready', () =>
    replicaA.status === 'ready' && replicaB.status === 'ready' ? true : undefined,
  );
  const options = { keyPrefix, redisTimeoutMs: 2_000, now: () => now };
  quotaA = new DailyEventQuota(replicaA, options);
  quotaB = new DailyEventQuota(replicaB, options);
});

afterAll(async () => {
  const keys = await replicaA.keys(`${keyPrefix}*`);
  if (keys.length > 0) await replicaA.del(...keys);
  replicaA.disconnect();
  replicaB.disconnect();
});

test('events are reserved all or nothing against one daily budget shared by the replicas, per tenant', async () => {
  now = today + DAY_MS - 60_000;
  const [tenant, other] = [newTenant(), newTenant()];
  expect(await quotaA.record(tenant, 3, 5)).toEqual({
    allowed: true,
    retryAfterMs: 0,
    remaining: 2,
    degraded: false,
  });
  // A refused batch counts nothing, and may come back at the next UTC midnight.
  expect(await quotaB.record(tenant, 3, 5)).toEqual({
    allowed: false,
    retryAfterMs: 60_000,
    remaining: 2,
    degraded: false,
  });
  expect(await quotaB.record(tenant, 2, 5)).toMatchObject({ allowed: true, remaining: 0 });
  expect(await quotaA.record(tenant, 1, 5)).toMatchObject({ allowed: false, remaining: 0 });
  expect(await quotaA.record(other, 5, 5)).toMatchObject({ allowed: true, remaining: 0 });

  now = today + DAY_MS + 1_000;
  expect(await quotaB.record(tenant, 5, 5)).toMatchObject({ allowed: true, remaining: 0 });
});

test("a day's counter is keyed by the UTC day and expires a day after it ends", async () => {
  const tenant = newTenant();
  now = today + DAY_MS / 2;
  await quotaA.record(tenant, 1, 10);
  const key = `${keyPrefix}events:{${tenant}}:${new Date(today).toISOString().slice(0, 10)}`;
  expect(await replicaA.get(key)).toBe('1');
  expect(await replicaA.pexpiretime(key)).toBe(today + 2 * DAY_MS);
});

test('a batch larger than the whole daily limit is refused as invalid', async () => {
  await expect(quotaA.record(newTenant(), 11, 10)).rejects.toThrow(ValidationError);
});

test('events given back are reserved again, the counter keeps its expiry, and a missing one stays missing', async () => {
  const tenant = newTenant();
  now = today + DAY_MS / 2;
  await quotaA.record(tenant, 4, 5);
  await quotaB.release(tenant, 3);
  const key = `${keyPrefix}events:{${tenant}}:${new Date(today).toISOString().slice(0, 10)}`;
  expect(await replicaA.get(key)).toBe('1');
  expect(await replicaA.pexpiretime(key)).toBe(today + 2 * DAY_MS);
  expect(await quotaA.record(tenant, 4, 5)).toMatchObject({ allowed: true, remaining: 0 });

  const unseen = newTenant();
  await quotaA.release(unseen, 2);
  expect(
    await replicaA.exists(`${keyPrefix}events:{${unseen}}:${new Date(today).toISOString().slice(0, 10)}`),
  ).toBe(0);
});
