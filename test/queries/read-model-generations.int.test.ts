import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { TenantId } from '../../services/platform/tenancy/index.ts';
import { ReadModelGenerations } from '../../services/querycache/index.ts';
import { generationKey } from '../../services/querycache/cache-keys.ts';
import { announcementChannel } from '../../services/querycache/watermark-announcements.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';

// The projector's announcements, one round trip at a time: what its batches commit
// while a round trip is under way goes in the next, nothing is left behind.
const prefix = `${uniqueName('gens')}:`;
const redis = new Redis(endpoints().redisUrl, { lazyConnect: true });
const listener = new Redis(endpoints().redisUrl, { lazyConnect: true });
const heard: string[] = [];

beforeAll(async () => {
  await Promise.all([redis.connect(), listener.connect()]);
  listener.on('message', (channel: string, message: string) => {
    if (channel === announcementChannel(prefix)) heard.push(message);
  });
  await listener.subscribe(announcementChannel(prefix));
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  listener.disconnect();
});

const mark = (position: number) => ({ transactionId: String(1000 + position), position });

test('batches committed during a round trip are announced together in the next, each generation raised', async () => {
  heard.length = 0;
  const generations = new ReadModelGenerations(redis, { keyPrefix: prefix });
  const [first, second] = [randomUUID() as TenantId, randomUUID() as TenantId];

  // Three projections' batches commit at once: the first goes alone, the others wait for it.
  await Promise.all([
    generations.advance('orders', new Map([[first, mark(1)]])),
    generations.advance('tenant_stats', new Map([[first, mark(1)]])),
    generations.advance('orders', new Map([[first, mark(3)]])),
    generations.advance('orders', new Map([[second, mark(2)]])),
  ]);
  await waitFor('two announcements', () => (heard.length >= 2 ? true : undefined), { timeoutMs: 5_000 });
  expect(heard).toEqual([
    `orders ${first} 1001:1`,
    // Only the newest mark of a tenant in a projection: the older one is behind it.
    [`tenant_stats ${first} 1001:1`, `orders ${first} 1003:3`, `orders ${second} 1002:2`].join('\n'),
  ]);
  expect(await redis.get(generationKey(prefix, first, 'orders'))).toBe('1003:3');
  expect(await redis.get(generationKey(prefix, first, 'tenant_stats'))).toBe('1001:1');
  expect(await redis.get(generationKey(prefix, second, 'orders'))).toBe('1002:2');

  // Once the round trips are done, the next batch goes at once, on its own.
  await generations.advance('orders', new Map([[second, mark(4)]]));
  await waitFor('the third announcement', () => (heard.length >= 3 ? true : undefined), { timeoutMs: 5_000 });
  expect(heard[2]).toBe(`orders ${second} 1004:4`);
  expect(await redis.get(generationKey(prefix, second, 'orders'))).toBe('1004:4');
});

test('marks that failed go with the next batch once Redis answers again', async () => {
  heard.length = 0;
  const failures: unknown[] = [];
  const away = new Redis(endpoints().redisUrl, { lazyConnect: true, enableOfflineQueue: false });
  const generations = new ReadModelGenerations(away, {
    keyPrefix: prefix,
    onFailure: (error) => failures.push(error),
  });
  const tenant = randomUUID() as TenantId;
  // Not connected, no offline queue: the round trip fails at once (and starts the lazy connection).
  await generations.advance('orders', new Map([[tenant, mark(5)]]));
  expect(failures).toHaveLength(1);
  await waitFor('Redis to answer', () => (away.status === 'ready' ? true : undefined), { timeoutMs: 5_000 });
  await generations.advance('customer_order_stats', new Map([[tenant, mark(6)]]));
  await waitFor('the announcement', () => (heard.length >= 1 ? true : undefined), { timeoutMs: 5_000 });
  expect(heard).toEqual([[`orders ${tenant} 1005:5`, `customer_order_stats ${tenant} 1006:6`].join('\n')]);
  expect(await redis.get(generationKey(prefix, tenant, 'orders'))).toBe('1005:5');
  expect(failures).toHaveLength(1);
  away.disconnect();
});
