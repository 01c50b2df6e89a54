import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { TenantId } from '../../services/platform/tenancy/index.ts';
import { ReadModelGenerations } from '../../services/querycache/index.ts';
import { generationKey } from '../../services/querycache/cache-keys.ts';
import { announcementChannel } from '../../services/querycache/watermark-announcements.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';

// The projector's announcements, one round trip at a time: what its batches commit in
// one turn goes together, what they commit while a round trip is under way goes in the
// next, nothing is left behind.
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

test('marks of one turn go in one round trip; those given during it, together in the next', async () => {
  heard.length = 0;
  const generations = new ReadModelGenerations(redis, { keyPrefix: prefix });
  const [first, second] = [randomUUID() as TenantId, randomUUID() as TenantId];

  // A round's three projections report in one loop: one announcement.
  await Promise.all([
    generations.advance('orders', new Map([[first, mark(1)]])),
    generations.advance('tenant_stats', new Map([[first, mark(1)]])),
    generations.advance('customer_order_stats', new Map([[first, mark(1)]])),
  ]);
  await waitFor('the first announcement', () => (heard.length >= 1 ? true : undefined), { timeoutMs: 5_000 });
  expect(heard).toEqual([
    [`orders ${first} 1001:1`, `tenant_stats ${first} 1001:1`, `customer_order_stats ${first} 1001:1`].join(
      '\n',
    ),
  ]);

  // The next round's marks, given once the round trip has taken the first ones (one microtask
  // later: the send takes them in the microtask queued before this test's), wait for it.
  const alone = generations.advance('orders', new Map([[second, mark(2)]]));
  await Promise.resolve();
  await Promise.all([
    alone,
    generations.advance('orders', new Map([[second, mark(4)]])),
    generations.advance('orders', new Map([[second, mark(3)]])),
    generations.advance('tenant_stats', new Map([[second, mark(3)]])),
  ]);
  await waitFor('two more announcements', () => (heard.length >= 3 ? true : undefined), { timeoutMs: 5_000 });
  expect(heard.slice(1)).toEqual([
    `orders ${second} 1002:2`,
    // Only the newest mark of a tenant in a projection: the older one is behind it.
    [`orders ${second} 1004:4`, `tenant_stats ${second} 1003:3`].join('\n'),
  ]);
  expect(await redis.get(generationKey(prefix, first, 'orders'))).toBe('1001:1');
  expect(await redis.get(generationKey(prefix, second, 'orders'))).toBe('1004:4');
  expect(await redis.get(generationKey(prefix, second, 'tenant_stats'))).toBe('1003:3');
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
