import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { gatewayEnv, type RunningGateway, startGateway } from '../../services/gateway/compose.ts';
import { loadConfig } from '../../services/platform/config/index.ts';
import type { RunningProjector } from '../../services/projector/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { startTestProjector, startTestRelay } from '../projector/pipeline.ts';
import { applyTestTopology, deleteSubjects } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { ADMIN_TOKEN, JWT_SECRET, opsUrlOf } from '../support/gateway.ts';
import { type Answer, call } from '../support/http.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

const prefix = `${uniqueName('qcache')}.`;
let db: TestDatabase;
let gateway: RunningGateway;
let url: string;
let opsUrl: string;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;
let redisProxy: TcpProxy;
let readModelProxy: TcpProxy;
const redis = new Redis(endpoints().redisUrl, { lazyConnect: true });

beforeAll(async () => {
  db = await createTestDatabase('qcache');
  const redisUrl = new URL(endpoints().redisUrl);
  redisProxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
  const pgUrl = new URL(db.appUrl);
  readModelProxy = new TcpProxy(pgUrl.hostname, Number(pgUrl.port || 5432));
  await Promise.all([redisProxy.start(), readModelProxy.start(), redis.connect()]);
  const config = loadConfig(gatewayEnv, {
    DATABASE_URL: db.appUrl,
    READ_DATABASE_URL: readModelProxy.urlFor(db.appUrl),
    REDIS_URL: redisProxy.urlFor(endpoints().redisUrl),
    // Long enough that nothing in this file passes because an answer expired.
    QUERY_CACHE_TTL_SECONDS: '600',
    // A loaded test machine must not turn a hit into a miss by a missed deadline.
    REDIS_TIMEOUT_MS: '2000',
    ADMIN_TOKEN,
    JWT_SECRET,
    DB_POOL_SIZE: '6',
  });
  gateway = await startGateway(
    { ...config, PORT: 0, GATEWAY_OPS_PORT: 0 },
    { log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) },
  );
  url = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
  opsUrl = opsUrlOf(gateway);
  // Redis connects in the background: until then every query would miss.
  await waitFor('the gateway to be ready', async () =>
    (await call(url, 'GET', '/ready')).body.status === 'ok' ? true : undefined,
  );
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(db, prefix);
  projector = await startTestProjector(db, prefix);
});

afterAll(async () => {
  await projector?.close();
  await relay?.close();
  for (const step of gateway.shutdownSteps) await step.close();
  await Promise.all([redisProxy.cut(), readModelProxy.cut()]);
  redis.disconnect();
  await db.drop();
  await deleteSubjects(prefix);
});

async function newTenant(): Promise<{ id: string; key: Record<string, string> }> {
  const created = await call(url, 'POST', '/api/v1/tenants', {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { name: `t-${randomUUID()}`, plan: 'enterprise' },
  });
  expect(created.status).toBe(201);
  return { id: String(created.body.tenantId), key: { 'x-api-key': String(created.body.apiKey) } };
}

async function command(key: Record<string, string>, body: unknown): Promise<Answer> {
  const answer = await call(url, 'POST', '/api/v1/commands/execute', { headers: key, body });
  expect(answer.status).toBeLessThan(300);
  return answer;
}

const placeOrder = (key: Record<string, string>, unitPrice = 3) =>
  command(key, {
    type: 'PlaceOrder',
    payload: { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'a', quantity: 1, unitPrice }] },
  });

const query = (key: Record<string, string>, body: unknown, minPosition?: unknown) =>
  call(url, 'POST', '/api/v1/queries/execute', {
    headers: {
      ...key,
      ...(minPosition === undefined
        ? {}
        : { 'X-Min-Position': String(minPosition), 'X-Wait-Timeout-Ms': '30000' }),
    },
    body,
  });

/** A sample of /metrics, by name and the labels it must carry (the registry adds component="gateway" to each). */
async function metric(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = (await call(opsUrl, 'GET', '/metrics')).text;
  const line = text
    .split('\n')
    .find(
      (each) =>
        each.startsWith(`${name}{`) &&
        Object.entries(labels).every(([label, value]) => each.includes(`${label}="${value}"`)),
    );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const breaker = (dependency: string) => metric('circuit_breaker_state', { dependency });
const cacheRequests = (result: string) => metric('query_cache_requests_total', { result });

const rename = (tenant: { id: string; key: Record<string, string> }) =>
  command(tenant.key, {
    type: 'RenameTenant',
    aggregateId: tenant.id,
    payload: { name: `r-${randomUUID()}` },
  });

const STATS = { type: 'GetTenantStats', params: {} };

test('a second query is a hit; a tenant never sees another tenant’s cached answer', async () => {
  const a = await newTenant();
  const b = await newTenant();
  const placed = await placeOrder(a.key, 7);
  const first = await query(a.key, STATS, placed.body.position);
  expect(first.status).toBe(200);
  expect(first.headers.get('x-cache')).toMatch(/^(miss|bypass)$/);
  expect(first.body).toMatchObject({ data: { revenueByCurrency: { EUR: 7 } } });
  const hitsBefore = (await cacheRequests('hit')) ?? 0;

  const second = await query(a.key, STATS);
  expect(second.headers.get('x-cache')).toBe('hit');
  expect(second.body).toEqual(first.body);
  expect(await cacheRequests('hit')).toBe(hitsBefore + 1);

  // The same query, word for word, from another tenant: its own answer, never A's.
  const other = await query(b.key, STATS);
  expect(other.status).toBe(200);
  expect(other.headers.get('x-cache')).toBe('miss');
  expect(other.body.data).toEqual({ ordersByStatus: {}, revenueByCurrency: {} });
  expect((await query(b.key, STATS)).body).toEqual(other.body);
  expect(await redis.keys(`eventline:qc:{${a.id}}:q:*`)).toHaveLength(1);
  expect(await redis.keys(`eventline:qc:{${b.id}}:q:*`)).toHaveLength(1);
}, 90_000);

test('an answer is invalidated once the projector applies a newer event', async () => {
  const { key } = await newTenant();
  const placed = await placeOrder(key);
  const orderId = String(placed.body.aggregateId);
  const byId = { type: 'GetOrder', params: { orderId } };
  expect((await query(key, byId, placed.body.position)).body).toMatchObject({ data: { status: 'placed' } });
  expect((await query(key, byId)).headers.get('x-cache')).toBe('hit');

  await command(key, { type: 'ShipOrder', aggregateId: orderId, payload: { trackingNumber: 'T-1' } });
  // Without X-Min-Position the query does not wait: it sees the shipment once the
  // projector has applied it and raised the generation, well before the answer's ttl.
  const shipped = await waitFor('the cached answer to be replaced', async () => {
    const answer = await query(key, byId);
    return (answer.body.data as { status?: string }).status === 'shipped' ? answer : undefined;
  });
  expect(shipped.headers.get('x-cache')).toBe('miss');
  expect((await query(key, byId)).headers.get('x-cache')).toBe('hit');
}, 90_000);

test('X-Min-Position beyond the cached answer bypasses it; the answer is never older than asked', async () => {
  const tenant = await newTenant();
  const { key } = tenant;
  const placed = await placeOrder(key);
  const orderId = String(placed.body.aggregateId);
  const byId = { type: 'GetOrder', params: { orderId } };
  await query(key, byId, placed.body.position);
  expect((await query(key, byId, placed.body.position)).headers.get('x-cache')).toBe('hit');

  // An event the orders projection never handles: the cached answer is current, yet
  // behind the caller's position, so the read models answer (and need not wait).
  const renamed = await rename(tenant);
  const bypassed = await query(key, byId, renamed.body.position);
  expect(bypassed.status).toBe(200);
  expect(bypassed.headers.get('x-cache')).toBe('bypass');
  expect(bypassed.body).toMatchObject({ data: { status: 'placed' } });

  // Asked right after the command, before the projector can have told the cache.
  const cancelled = await command(key, {
    type: 'CancelOrder',
    aggregateId: orderId,
    payload: { reason: 'changed my mind' },
  });
  const seen = await query(key, byId, cancelled.body.position);
  expect(seen.headers.get('x-cache')).toMatch(/^(miss|bypass)$/);
  expect(seen.body).toMatchObject({ data: { status: 'cancelled' }, position: cancelled.body.position });
}, 90_000);

test('with Redis cut off, queries still answer from the read models; the breaker opens and closes', async () => {
  const { key } = await newTenant();
  const placed = await placeOrder(key);
  await query(key, STATS, placed.body.position);
  expect((await query(key, STATS)).headers.get('x-cache')).toBe('hit');

  await redisProxy.cut();
  try {
    const started = Date.now();
    const answer = await query(key, STATS);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-cache')).toBe('miss');
    expect(answer.body).toMatchObject({ data: { ordersByStatus: { placed: 1 } } });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await breaker('redis')).toBe(2);
    for (let i = 0; i < 5; i++) expect((await query(key, STATS)).status).toBe(200);
  } finally {
    await redisProxy.start();
  }
  await waitFor('the cache to serve again', async () =>
    (await query(key, STATS)).headers.get('x-cache') === 'hit' ? true : undefined,
  );
  expect(await breaker('redis')).toBe(0);
}, 90_000);

test('with the read models unreachable, the last cached answer is served marked stale', async () => {
  const tenant = await newTenant();
  const { key } = tenant;
  const placed = await placeOrder(key, 5);
  const orderId = String(placed.body.aggregateId);
  const byId = { type: 'GetOrder', params: { orderId } };
  const cached = await query(key, byId, placed.body.position);
  expect(cached.status).toBe(200);
  // A newer event makes the cached answer out of date: the next query goes to the read models.
  const added = await command(key, {
    type: 'AddOrderItem',
    aggregateId: orderId,
    payload: { sku: 'b', quantity: 1, unitPrice: 1 },
  });
  await waitFor('the projector to raise the generation', async () => {
    const generation = await redis.get(`eventline:qc:{${tenant.id}}:gen:orders`);
    return generation?.endsWith(`:${String(added.body.position)}`) ? true : undefined;
  });
  expect(await breaker('read-models')).toBe(0);

  await readModelProxy.cut();
  try {
    const stale = await query(key, byId);
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-cache')).toBe('stale');
    expect(stale.headers.get('warning')).toBe('110 - "Response is Stale"');
    expect(stale.body).toEqual(cached.body);
    const asOld = await query(key, byId, placed.body.position);
    expect(asOld.status).toBe(200);
    expect(asOld.headers.get('x-cache')).toBe('stale');

    // X-Min-Position beyond the cached answer: no stale answer may stand in for it.
    const newer = await query(key, byId, added.body.position);
    expect(newer.status).toBe(503);
    expect(newer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(newer.headers.get('retry-after')).toBe('1');
    // Never cached: nothing to serve.
    const uncached = await query(key, { type: 'ListOrders', params: { limit: 3 } });
    expect(uncached.status).toBe(503);
    await waitFor('the read models’ breaker to open', async () => {
      await query(key, byId);
      return (await breaker('read-models')) === 2 ? true : undefined;
    });
    const whileOpen = await query(key, byId);
    expect(whileOpen.headers.get('x-cache')).toBe('stale');
    expect(await cacheRequests('stale')).toBeGreaterThanOrEqual(3);
  } finally {
    await readModelProxy.start();
  }
  const recovered = await waitFor(
    'the read models’ breaker to close',
    async () => {
      const answer = await query(key, byId);
      return answer.status === 200 &&
        answer.headers.get('x-cache') !== 'stale' &&
        (await breaker('read-models')) === 0
        ? answer
        : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  expect(recovered.body).toMatchObject({ data: { total: 6 }, position: added.body.position });
}, 120_000);
