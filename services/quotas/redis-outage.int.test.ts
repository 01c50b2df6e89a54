import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket, connect } from 'node:net';
import type { Redis } from 'ioredis';
import { endpoints } from '../../test/support/endpoints.ts';
import { uniqueName } from '../../test/support/names.ts';
import { waitFor } from '../../test/support/wait.ts';
import type { CommandRate } from './token-bucket.ts';
import { DependencyUnavailableError } from '../platform/errors/index.ts';
import { Readiness } from '../platform/health/index.ts';
import { type TenantId, tenantId } from '../platform/tenancy/index.ts';
import { openRedis } from '../platform/redis/index.ts';
import { CommandQuota, DailyEventQuota, type QuotaDecision } from './index.ts';
import { takeToken } from '../../test/support/command-tokens.ts';

const keyPrefix = `${uniqueName('quotas')}:`;
/** No refill within a test: whatever is refused was refused by the burst. */
const quota: CommandRate = { commandsPerMinute: 1, maxBurst: 3 };
const clients: Redis[] = [];

function newTenant(): TenantId {
  return tenantId(randomUUID());
}

function client(url: string): Redis {
  const redis = openRedis({ url });
  clients.push(redis);
  return redis;
}

/**
 * "At once" as opposed to waiting out ioredis' reconnects or a connect timeout (seconds): generous,
 * so that a loaded CI machine does not fail a test about behaviour rather than speed.
 */
const AT_ONCE_MS = 1_500;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

async function takeMany(commands: CommandQuota, tenant: TenantId, count: number): Promise<QuotaDecision[]> {
  const decisions: QuotaDecision[] = [];
  for (let i = 0; i < count; i++) decisions.push(await takeToken(commands, tenant, quota, keyPrefix));
  return decisions;
}

/** Stands between a quota and the real Redis, so a test can slow it down or take it away. */
class RedisProxy {
  delayMs = 0;
  /** Chunks clients sent towards Redis: whether a decision asked Redis at all. */
  chunksSent = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const target = new URL(endpoints().redisUrl);
    const server = createServer((downstream) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      for (const socket of [downstream, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(socket);
          downstream.destroy();
          upstream.destroy();
        });
      }
      // Chunks keep their order even when the delay shrinks: Redis replies in request order, and
      // ioredis relies on it. Each is written only after the one before it: timers alone could
      // fire out of order (Node dates them from the event loop's cached clock, not Date.now()).
      let written = Promise.resolve();
      downstream.on('data', (chunk) => {
        this.chunksSent++;
        const due = Date.now() + this.delayMs;
        written = written
          .then(
            () =>
              new Promise<void>((resolve) => {
                this.timers.add(setTimeout(resolve, Math.max(0, due - Date.now())));
              }),
          )
          .then(() => {
            if (upstream.writable) upstream.write(chunk);
          });
      });
      upstream.pipe(downstream);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (typeof address === 'object' && address) this.port = address.port;
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

afterAll(async () => {
  const redis = client(endpoints().redisUrl);
  await waitFor('redis', () => (redis.status === 'ready' ? true : undefined));
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  for (const each of clients) each.disconnect();
});

describe('with Redis unreachable', () => {
  const fallbacks: unknown[] = [];
  let commands: CommandQuota;

  beforeAll(() => {
    commands = new CommandQuota(client('redis://127.0.0.1:1'), {
      keyPrefix,
      onFallback: (error) => fallbacks.push(error),
    });
  });

  test('decisions come back at once, degraded, with the local limit enforced per tenant', async () => {
    const [greedy, quiet] = [newTenant(), newTenant()];
    const { value: decisions, ms } = await timed(() => takeMany(commands, greedy, 5));
    expect(ms).toBeLessThan(AT_ONCE_MS);
    expect(decisions.map((decision) => [decision.allowed, decision.degraded])).toEqual([
      [true, true],
      [true, true],
      [true, true],
      [false, true],
      [false, true],
    ]);
    expect(decisions[3]?.retryAfterMs).toBeGreaterThan(0);
    expect(decisions[3]?.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(await takeToken(commands, quiet, quota, keyPrefix)).toEqual({
      allowed: true,
      retryAfterMs: 0,
      remaining: 2,
      degraded: true,
    });
    // Reported once: after the first failure Redis is skipped for the backoff instead of failed again.
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]).toBeInstanceOf(DependencyUnavailableError);
    expect(fallbacks[0]).toMatchObject({ dependency: 'redis' });
  });

  test('the readiness check is down, which makes /ready degraded, not down', async () => {
    const check = commands.readinessCheck();
    await expect(check.check(AbortSignal.timeout(1_000))).rejects.toThrow(DependencyUnavailableError);
    const report = await new Readiness([check]).report();
    expect(report.status).toBe('degraded');
    expect(report.checks.redis).toMatchObject({ status: 'down' });
  });

  test('the daily event quota counts locally', async () => {
    const events = new DailyEventQuota(client('redis://127.0.0.1:1'), { keyPrefix });
    const tenant = newTenant();
    expect(await events.record(tenant, 4, 5)).toMatchObject({ allowed: true, remaining: 1, degraded: true });
    expect(await events.record(tenant, 2, 5)).toMatchObject({ allowed: false, remaining: 1, degraded: true });
  });
});

describe('with Redis slow or gone for a while', () => {
  const proxy = new RedisProxy();
  const fallbacks: unknown[] = [];
  let commands: CommandQuota;

  beforeAll(async () => {
    await proxy.start();
    const redis = client(proxy.url);
    await waitFor('the quota redis client to be ready', () => (redis.status === 'ready' ? true : undefined));
    commands = new CommandQuota(redis, {
      keyPrefix,
      redisTimeoutMs: 50,
      redisBackoffMs: 300,
      onFallback: (error) => fallbacks.push(error),
    });
  });

  afterAll(() => proxy.stop());

  beforeEach(() => {
    fallbacks.length = 0;
  });

  test('a Redis slower than the deadline is skipped after one miss, and used again once it is fast', async () => {
    const tenant = newTenant();
    expect(await takeToken(commands, tenant, quota, keyPrefix)).toMatchObject({
      allowed: true,
      degraded: false,
    });

    proxy.delayMs = 400;
    const { value: first, ms } = await timed(() => takeToken(commands, tenant, quota, keyPrefix));
    expect(first.degraded).toBe(true);
    expect(ms).toBeLessThan(AT_ONCE_MS);
    expect(fallbacks).toHaveLength(1);
    expect((fallbacks[0] as Error).message).toBe('redis did not answer within 50 ms');

    const asked = proxy.chunksSent;
    const skipped = await takeMany(commands, tenant, 20);
    expect(proxy.chunksSent).toBe(asked);
    expect(skipped.every((decision) => decision.degraded)).toBe(true);
    // The local bucket started full on its own: the burst, then refusals.
    expect(skipped.filter((decision) => decision.allowed)).toHaveLength(2);

    proxy.delayMs = 0;
    const recovered = await waitFor(
      'decisions from Redis again',
      async () => {
        const decision = await takeToken(commands, newTenant(), quota, keyPrefix);
        return decision.degraded ? undefined : decision;
      },
      { timeoutMs: 5_000, intervalMs: 50 },
    );
    expect(recovered).toMatchObject({ allowed: true, remaining: 2 });
    // The shared bucket kept its count; the take that missed its deadline still ran in Redis
    // once the delay was over, so its token is spent there as well as locally.
    expect(await takeToken(commands, tenant, quota, keyPrefix)).toMatchObject({
      allowed: true,
      remaining: 0,
      degraded: false,
    });
  });

  test('a lost connection turns decisions local, and the reconnect turns them shared again', async () => {
    const tenant = newTenant();
    await proxy.stop();
    const { value: local, ms } = await timed(() => takeToken(commands, tenant, quota, keyPrefix));
    expect(local).toMatchObject({ allowed: true, degraded: true });
    expect(ms).toBeLessThan(AT_ONCE_MS);
    // Redis' own failure, as the quotas' circuit names it: not any error (a bug in the check would throw too).
    await expect(commands.readinessCheck().check(AbortSignal.timeout(1_000))).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );

    await proxy.start();
    await waitFor(
      'decisions from Redis again',
      async () => ((await takeToken(commands, newTenant(), quota, keyPrefix)).degraded ? undefined : true),
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    await expect(commands.readinessCheck().check(AbortSignal.timeout(1_000))).resolves.toBeUndefined();
  });
});
