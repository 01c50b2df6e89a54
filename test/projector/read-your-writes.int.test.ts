import { randomUUID } from 'node:crypto';
import type { RunningProjector } from '../../services/projector/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, deleteSubjects } from '../relay/harness.ts';
import { endpoints } from '../support/endpoints.ts';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { call } from '../support/http.ts';
import { uniqueName } from '../support/names.ts';
import { startTestProjector, startTestRelay } from './pipeline.ts';

let gw: TestGateway;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;
const prefix = `${uniqueName('projryw')}.`;

beforeAll(async () => {
  gw = await startTestGateway();
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(gw.db, prefix);
  projector = await startTestProjector(gw.db, prefix);
});

afterAll(async () => {
  await projector?.close();
  await relay?.close();
  await gw.stop();
  await deleteSubjects(prefix);
});

async function tenantKey(): Promise<Record<string, string>> {
  const created = await call(gw.url, 'POST', '/api/v1/tenants', {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { name: `t-${randomUUID()}`, plan: 'enterprise' },
  });
  expect(created.status).toBe(201);
  return { 'x-api-key': String(created.body.apiKey) };
}

const query = (key: Record<string, string>, body: unknown, headers: Record<string, string> = {}) =>
  call(gw.url, 'POST', '/api/v1/queries/execute', { headers: { ...key, ...headers }, body });

test('a query with X-Min-Position sees the command it names; errors are problems', async () => {
  const key = await tenantKey();
  const placed = await call(gw.url, 'POST', '/api/v1/commands/execute', {
    headers: key,
    body: {
      type: 'PlaceOrder',
      payload: { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'a', quantity: 2, unitPrice: 3 }] },
    },
  });
  expect(placed.status).toBe(201);
  const position = String(placed.body.position);
  const orderId = String(placed.body.aggregateId);

  // The first wait also covers the consumer groups' first join, which a busy broker makes slow.
  const seen = await query(
    key,
    { type: 'GetOrder', params: { orderId } },
    { 'X-Min-Position': position, 'X-Wait-Timeout-Ms': '30000' },
  );
  expect(seen.status).toBe(200);
  expect(seen.body).toMatchObject({
    data: { orderId, status: 'placed', total: 6 },
    position: Number(position),
  });
  // Another context's projection: it never sees the order event, and still answers without waiting out.
  const tenant = await query(key, { type: 'GetTenant', params: {} }, { 'X-Min-Position': position });
  expect(tenant.status).toBe(200);
  expect(tenant.body).toMatchObject({ data: { status: 'active', plan: 'enterprise' } });
  const stats = await query(key, { type: 'GetTenantStats' }, { 'X-Min-Position': position });
  expect(stats.body).toMatchObject({
    data: { ordersByStatus: { placed: 1 }, revenueByCurrency: { EUR: 6 } },
  });

  const invalid = await query(key, { type: 'ListOrders', params: { limit: 101, status: 'lost' } });
  expect(invalid.status).toBe(400);
  expect((invalid.body.errors as { path: string }[]).map((issue) => issue.path).sort()).toEqual([
    '/params/limit',
    '/params/status',
  ]);
  expect((await query(key, { type: 'Nope' })).status).toBe(400);
  const missing = await query(key, { type: 'GetOrder', params: { orderId: randomUUID() } });
  expect(missing.status).toBe(404);
  expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const foreign = await query(await tenantKey(), { type: 'GetOrder', params: { orderId } });
  expect(foreign.status).toBe(404);

  // With the projector away, the wait runs out: 504; without the header the query never waits.
  await projector?.close();
  projector = undefined;
  const later = await call(gw.url, 'POST', '/api/v1/commands/execute', {
    headers: key,
    body: { type: 'CancelOrder', aggregateId: orderId, payload: { reason: 'late' } },
  });
  expect(later.status).toBe(200);
  const started = Date.now();
  const behind = await query(
    key,
    { type: 'GetOrder', params: { orderId } },
    {
      'X-Min-Position': String(later.body.position),
      'X-Wait-Timeout-Ms': '300',
    },
  );
  expect(behind.status).toBe(504);
  expect(behind.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  const quick = Date.now();
  const stale = await query(key, { type: 'GetOrder', params: { orderId } });
  expect(stale.status).toBe(200);
  expect(stale.body).toMatchObject({ data: { status: 'placed' } });
  // Well under the 5 s a wait would take, with room for a loaded machine.
  expect(Date.now() - quick).toBeLessThan(2_500);
}, 120_000);
