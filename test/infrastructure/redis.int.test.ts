import { Redis } from 'ioredis';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';

let redis: Redis;
const prefix = `${uniqueName('infra')}:`;

beforeAll(() => {
  redis = new Redis(endpoints().redisUrl, { keyPrefix: prefix, lazyConnect: true });
  return redis.connect();
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(prefix.length)));
  redis.disconnect();
});

test('ioredis sets, reads and expires keys', async () => {
  await redis.set('greeting', 'hello', 'PX', 60_000);
  expect(await redis.get('greeting')).toBe('hello');
  const ttl = await redis.pttl('greeting');
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(60_000);
});

test('a pipeline applies its commands in order', async () => {
  const results = await redis.multi().incr('counter').incrby('counter', 4).get('counter').exec();
  expect(results?.map(([error, value]) => [error, value])).toEqual([
    [null, 1],
    [null, 5],
    [null, '5'],
  ]);
});
