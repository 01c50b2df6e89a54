import { randomUUID } from 'node:crypto';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../../test/support/gateway.ts';
import { type Answer, call } from '../../test/support/http.ts';

let gw: TestGateway;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const placeOrder = {
  type: 'PlaceOrder',
  payload: { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 1, unitPrice: 2 }] },
};

interface Tenant {
  tenantId: string;
  key: { 'x-api-key': string };
}

async function createTenant(): Promise<Tenant> {
  const answer = await call(gw.url, 'POST', '/api/v1/tenants', {
    headers: admin,
    body: { name: `t-${randomUUID()}`, plan: 'enterprise' },
  });
  expect(answer.status).toBe(201);
  return { tenantId: String(answer.body.tenantId), key: { 'x-api-key': String(answer.body.apiKey) } };
}

function command(url: string, tenant: Tenant, body: unknown, headers: Record<string, string> = {}) {
  return call(url, 'POST', '/api/v1/commands/execute', { headers: { ...tenant.key, ...headers }, body });
}

function secondsToUtcMidnight(): number {
  const now = Date.now();
  return (Math.floor(now / 86_400_000) * 86_400_000 + 86_400_000 - now) / 1000;
}

function expectDailyQuotaProblem(answer: Answer): void {
  expect(answer.status).toBe(429);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ status: 429, detail: expect.stringContaining('3 events per day') });
  const retryAfter = Number(answer.headers.get('retry-after'));
  // Until the next UTC day, give or take the request's own duration (and a midnight passed meanwhile).
  const off = Math.abs(retryAfter - secondsToUtcMidnight());
  expect(Math.min(off, 86_400 - off)).toBeLessThan(5);
}

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw.stop();
});

test('a tenant over its daily events gets 429 until the next UTC day, on every gateway; another tenant goes on', async () => {
  const [tenant, other] = [await createTenant(), await createTenant()];
  const quota = await call(gw.url, 'POST', `/api/v1/tenants/${tenant.tenantId}/commands/execute`, {
    headers: admin,
    body: { type: 'SetTenantQuota', payload: { commandsPerMinute: 6000, eventsPerDay: 3 } },
  });
  expect(quota.status).toBe(200);
  const self = await call(gw.url, 'GET', `/api/v1/tenants/${tenant.tenantId}`, { headers: tenant.key });
  expect(self.body).toMatchObject({ quota: { commandsPerMinute: 6000, maxBurst: 1000, eventsPerDay: 3 } });
  const replica = await gw.replica();
  try {
    const idempotencyKey = { 'idempotency-key': randomUUID() };
    const first = await command(gw.url, tenant, placeOrder, idempotencyKey);
    expect(first.status).toBe(201);
    // Neither a replay nor a refused command stores an event, so neither counts.
    const replay = await command(replica.url, tenant, placeOrder, idempotencyKey);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const refused = await command(gw.url, tenant, {
      type: 'DeliverOrder',
      aggregateId: first.body.aggregateId,
      payload: {},
    });
    expect(refused.status).toBe(422);

    expect((await command(replica.url, tenant, placeOrder)).status).toBe(201);
    expect((await command(gw.url, tenant, placeOrder)).status).toBe(201);
    expectDailyQuotaProblem(await command(gw.url, tenant, placeOrder));
    expectDailyQuotaProblem(await command(replica.url, tenant, placeOrder));
    expect((await command(replica.url, other, placeOrder)).status).toBe(201);

    const metrics = await call(gw.opsUrl, 'GET', '/metrics');
    expect(metrics.text).toMatch(/quota_rejections_total\{[^}]*limit="events"[^}]*\} 1/);
  } finally {
    await replica.stop();
  }
});
