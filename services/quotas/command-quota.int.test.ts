import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { endpoints } from '../../test/support/endpoints.ts';
import { uniqueName } from '../../test/support/names.ts';
import { waitFor } from '../../test/support/wait.ts';
import type { CommandRate } from './token-bucket.ts';
import { type TenantId, tenantId } from '../platform/tenancy/index.ts';
import { openRedis } from '../platform/redis/index.ts';
import { CommandQuota } from './index.ts';
import { takeToken } from '../../test/support/command-tokens.ts';

const keyPrefix = `${uniqueName('quotas')}:`;
let replicaA: Redis;
let replicaB: Redis;
let quotaA: CommandQuota;
let quotaB: CommandQuota;
const fallbacks: unknown[] = [];

function newTenant(): TenantId {
  return tenantId(randomUUID());
}

async function ready(redis: Redis): Promise<void> {
  await waitFor('the quota redis client to be ready', () => (redis.status === 'ready' ? true : undefined), {
    timeoutMs: 5_000,
  });
}

beforeAll(async () => {
  // Two clients, as two gateway replicas would hold.
  [replicaA, replicaB] = [openRedis({ url: endpoints().redisUrl }), openRedis({ url: endpoints().redisUrl })];
  await Promise.all([ready(replicaA), ready(replicaB)]);
  // A generous deadline: these tests are about the shared bucket, not about a loaded CI machine's latency.
  const options = { keyPrefix, redisTimeoutMs: 2_000, onFallback: (error: unknown) => fallbacks.push(error) };
  quotaA = new CommandQuota(replicaA, options);
  quotaB = new CommandQuota(replicaB, options);
});

afterEach(() => {
  expect(fallbacks).toEqual([]);
});

afterAll(async () => {
  const keys = await replicaA.keys(`${keyPrefix}*`);
  if (keys.length > 0) await replicaA.del(...keys);
  replicaA.disconnect();
  replicaB.disconnect();
});

test('a tenant that spends its burst is refused with a sensible retryAfterMs; another tenant is unaffected', async () => {
  const quota: CommandRate = { commandsPerMinute: 60, maxBurst: 5 };
  const [greedy, quiet] = [newTenant(), newTenant()];
  for (let i = 4; i >= 0; i--) {
    expect(await takeToken(quotaA, greedy, quota, keyPrefix)).toEqual({
      allowed: true,
      retryAfterMs: 0,
      remaining: i,
      degraded: false,
    });
  }
  const refused = await takeToken(quotaA, greedy, quota, keyPrefix);
  expect(refused).toMatchObject({ allowed: false, remaining: 0, degraded: false });
  // One token a second: the next one is at most a second away.
  expect(refused.retryAfterMs).toBeGreaterThan(0);
  expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000);

  const quietDecisions = await Promise.all(
    [1, 2, 3, 4, 5].map(() => takeToken(quotaA, quiet, quota, keyPrefix)),
  );
  expect(quietDecisions.every((decision) => decision.allowed && !decision.degraded)).toBe(true);
});

test('two replicas share one budget', async () => {
  const quota: CommandRate = { commandsPerMinute: 1, maxBurst: 10 };
  const tenant = newTenant();
  const decisions = await Promise.all(
    Array.from({ length: 10 }, (_, i) => takeToken(i % 2 === 0 ? quotaA : quotaB, tenant, quota, keyPrefix)),
  );
  expect(decisions.filter((decision) => decision.allowed)).toHaveLength(10);
  expect(decisions.map((decision) => decision.remaining).sort((a, b) => a - b)).toEqual([
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
  ]);

  const [onA, onB] = await Promise.all([
    takeToken(quotaA, tenant, quota, keyPrefix),
    takeToken(quotaB, tenant, quota, keyPrefix),
  ]);
  expect(onA.allowed).toBe(false);
  expect(onB.allowed).toBe(false);
  expect(onB.retryAfterMs).toBeGreaterThan(0);
  expect(onB.retryAfterMs).toBeLessThanOrEqual(60_000);
});

test('many concurrent takes grant exactly the burst: the take is atomic', async () => {
  const quota: CommandRate = { commandsPerMinute: 1, maxBurst: 20 };
  const tenant = newTenant();
  const decisions = await Promise.all(
    Array.from({ length: 60 }, (_, i) => takeToken(i % 2 === 0 ? quotaA : quotaB, tenant, quota, keyPrefix)),
  );
  expect(decisions.filter((decision) => decision.allowed)).toHaveLength(20);
});

test('spent tokens come back with time', async () => {
  // 10 a second: one token back after about 100 ms.
  const quota: CommandRate = { commandsPerMinute: 600, maxBurst: 2 };
  const tenant = newTenant();
  await takeToken(quotaA, tenant, quota, keyPrefix);
  await takeToken(quotaA, tenant, quota, keyPrefix);
  // Timed from before the refusal: whatever delays its answer on a busy machine then counts too.
  const started = Date.now();
  const refused = await takeToken(quotaB, tenant, quota, keyPrefix);
  expect(refused.allowed).toBe(false);
  expect(refused.retryAfterMs).toBeGreaterThan(0);
  expect(refused.retryAfterMs).toBeLessThanOrEqual(100);

  const allowed = await waitFor(
    'a refilled token',
    async () => {
      const decision = await takeToken(quotaB, tenant, quota, keyPrefix);
      return decision.allowed ? decision : undefined;
    },
    { timeoutMs: 2_000, intervalMs: 10 },
  );
  expect(allowed.degraded).toBe(false);
  // Not before the refill was due. Redis' TIME and Date.now() read the same clock; a millisecond
  // is lost each to Date.now()'s rounding down and to the retry's rounding up.
  expect(Date.now() - started).toBeGreaterThanOrEqual(refused.retryAfterMs - 2);
});

test('a changed quota applies on the next take', async () => {
  const tenant = newTenant();
  await takeToken(quotaA, tenant, { commandsPerMinute: 1, maxBurst: 10 }, keyPrefix);
  // Lowered to a burst of 2: the 9 left are capped to 2 at once.
  expect(await takeToken(quotaB, tenant, { commandsPerMinute: 1, maxBurst: 2 }, keyPrefix)).toMatchObject({
    allowed: true,
    remaining: 1,
  });
  expect(await takeToken(quotaA, tenant, { commandsPerMinute: 1, maxBurst: 2 }, keyPrefix)).toMatchObject({
    allowed: true,
    remaining: 0,
  });
  expect(await takeToken(quotaA, tenant, { commandsPerMinute: 1, maxBurst: 2 }, keyPrefix)).toMatchObject({
    allowed: false,
  });
});

test("a tenant's bucket expires a little after it would have refilled", async () => {
  const quota: CommandRate = { commandsPerMinute: 60, maxBurst: 5 };
  const tenant = newTenant();
  await takeToken(quotaA, tenant, quota, keyPrefix);
  const ttl = await replicaA.pttl(`${keyPrefix}commands:{${tenant}}`);
  expect(ttl).toBeGreaterThan(5_000);
  expect(ttl).toBeLessThanOrEqual(6_000);
});

test('the readiness check is up while Redis answers', async () => {
  const check = quotaA.readinessCheck();
  expect(check).toMatchObject({ name: 'redis', essential: false });
  await expect(check.check(AbortSignal.timeout(1_000))).resolves.toBeUndefined();
});
