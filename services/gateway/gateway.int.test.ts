import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { boundedContexts } from '../domain/contexts.ts';
import { ADMIN_TOKEN, JWT_SECRET, startTestGateway, type TestGateway } from '../../test/support/gateway.ts';
import { type Answer, call } from '../../test/support/http.ts';
import { clockPast } from '../../test/support/wait.ts';

let gw: TestGateway;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const placeOrder = {
  type: 'PlaceOrder',
  payload: { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 2, unitPrice: 9.5 }] },
};

interface Tenant {
  tenantId: string;
  key: { 'x-api-key': string };
}

async function createTenant(plan = 'enterprise'): Promise<Tenant> {
  const answer = await call(gw.url, 'POST', '/api/v1/tenants', {
    headers: admin,
    body: { name: `t-${randomUUID()}`, plan },
  });
  expect(answer.status).toBe(201);
  return { tenantId: String(answer.body.tenantId), key: { 'x-api-key': String(answer.body.apiKey) } };
}

function command(tenant: Tenant, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return call(gw.url, 'POST', '/api/v1/commands/execute', { headers: { ...tenant.key, ...headers }, body });
}

function expectProblem(answer: Answer, status: number): void {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(answer.text).not.toMatch(/at .*\.ts:\d+/);
}

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw.stop();
});

describe('operations', () => {
  test('/health, /ready and /metrics answer without credentials, /metrics on the ops port only', async () => {
    expect((await call(gw.url, 'GET', '/health')).body).toEqual({ status: 'ok' });
    const ready = await call(gw.url, 'GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      checks: { postgres: { status: 'up' }, redis: { status: 'up' } },
    });
    expect((await call(gw.opsUrl, 'GET', '/ready')).status).toBe(200);
    expect((await call(gw.opsUrl, 'GET', '/health')).body).toEqual({ status: 'ok' });
    expect((await call(gw.url, 'GET', '/metrics', { headers: admin })).status).toBe(404);
    const metrics = await call(gw.opsUrl, 'GET', '/metrics');
    expect(metrics.text).toContain('http_requests_total');
    expect(metrics.text).toContain('process_resident_memory_bytes');
    expect(metrics.text).toMatch(/db_pool_size\{pool="main",component="gateway"\} 10/);
    const openApi = await call(gw.url, 'GET', '/openapi.json');
    expect(openApi.body).toMatchObject({ openapi: '3.1.0' });
  });
});

describe('tenants and identity', () => {
  test('the platform admin creates a tenant and gets its key once; the tenant reads itself', async () => {
    const tenant = await createTenant('pro');
    const self = await call(gw.url, 'GET', `/api/v1/tenants/${tenant.tenantId}`, { headers: tenant.key });
    expect(self.body).toMatchObject({ tenantId: tenant.tenantId, plan: 'pro', status: 'active' });
    const other = await createTenant();
    expectProblem(
      await call(gw.url, 'GET', `/api/v1/tenants/${other.tenantId}`, { headers: tenant.key }),
      404,
    );
  });

  test('no or bad credentials answer 401; a tenant cannot create tenants (403)', async () => {
    expectProblem(await call(gw.url, 'POST', '/api/v1/commands/execute', { body: placeOrder }), 401);
    expectProblem(
      await command({ tenantId: '', key: { 'x-api-key': 'el_0123456789abcdef_nope' } }, placeOrder),
      401,
    );
    const tenant = await createTenant();
    expectProblem(
      await call(gw.url, 'POST', '/api/v1/tenants', {
        headers: tenant.key,
        body: { name: 'x', plan: 'free' },
      }),
      403,
    );
  });

  test('a reader key may read but not command; a revoked key is refused', async () => {
    const tenant = await createTenant();
    const placed = await command(tenant, placeOrder);
    const created = await call(gw.url, 'POST', `/api/v1/tenants/${tenant.tenantId}/api-keys`, {
      headers: tenant.key,
      body: { roles: ['reader'] },
    });
    expect(created.status).toBe(201);
    const reader = { tenantId: tenant.tenantId, key: { 'x-api-key': String(created.body.apiKey) } };
    expectProblem(await command(reader, placeOrder), 403);
    const read = await call(gw.url, 'GET', `/api/v1/aggregates/Order/${placed.body.aggregateId}`, {
      headers: reader.key,
    });
    expect(read.status).toBe(200);

    const revoked = await call(
      gw.url,
      'DELETE',
      `/api/v1/tenants/${tenant.tenantId}/api-keys/${created.body.keyId}`,
      {
        headers: tenant.key,
      },
    );
    expect(revoked.status).toBe(204);
    expectProblem(
      await call(gw.url, 'GET', `/api/v1/aggregates/Order/${placed.body.aggregateId}`, {
        headers: reader.key,
      }),
      401,
    );
  });

  test('a JWT with tenant_id, sub and roles is a tenant principal; expired or malformed ones are refused', async () => {
    const tenant = await createTenant();
    const sign = (claims: Record<string, unknown>, expires: string | number = '5m') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime(expires)
        .sign(new TextEncoder().encode(JWT_SECRET));
    const good = await sign({ tenant_id: tenant.tenantId, sub: 'alice', roles: ['writer'] });
    const ok = await call(gw.url, 'POST', '/api/v1/commands/execute', {
      headers: { authorization: `Bearer ${good}` },
      body: placeOrder,
    });
    expect(ok.status).toBe(201);

    const expired = await sign(
      { tenant_id: tenant.tenantId, sub: 'alice', roles: ['writer'] },
      Math.floor(Date.now() / 1000) - 60,
    );
    expectProblem(
      await call(gw.url, 'POST', '/api/v1/commands/execute', {
        headers: { authorization: `Bearer ${expired}` },
        body: placeOrder,
      }),
      401,
    );
    const noRoles = await sign({ tenant_id: tenant.tenantId, sub: 'alice' });
    expectProblem(
      await call(gw.url, 'POST', '/api/v1/commands/execute', {
        headers: { authorization: `Bearer ${noRoles}` },
        body: placeOrder,
      }),
      401,
    );
  });
});

describe('commands', () => {
  test('PlaceOrder answers 201 with the contract fields and the correlation id echoed', async () => {
    const tenant = await createTenant();
    const placed = await command(tenant, placeOrder, { 'x-correlation-id': 'corr-abc-1' });
    expect(placed.status).toBe(201);
    expect(placed.headers.get('x-correlation-id')).toBe('corr-abc-1');
    expect(placed.body).toEqual({
      aggregateId: expect.any(String),
      aggregateType: 'Order',
      version: 1,
      position: expect.any(Number),
      eventIds: [expect.any(String)],
      correlationId: 'corr-abc-1',
    });
    const added = await command(tenant, {
      type: 'AddOrderItem',
      aggregateId: placed.body.aggregateId,
      expectedVersion: 1,
      payload: { sku: 'sku-2', quantity: 1, unitPrice: 1 },
    });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ version: 2 });
    expect(added.headers.get('x-correlation-id')).toEqual(expect.any(String));
  });

  test('every error status of docs/contracts.md §4 comes as problem+json', async () => {
    const tenant = await createTenant();
    const placed = await command(tenant, placeOrder);
    const id = placed.body.aggregateId;

    const invalid = await command(tenant, {
      type: 'PlaceOrder',
      payload: { customerId: '', currency: 'EUR', items: [] },
    });
    expectProblem(invalid, 400);
    expect((invalid.body.errors as Array<{ path: string }>).map((e) => e.path)).toEqual(
      expect.arrayContaining(['/payload/customerId', '/payload/items']),
    );
    const unknown = await command(tenant, { type: 'Teleport', payload: {} });
    expectProblem(unknown, 400);
    expect(JSON.stringify(unknown.body.errors)).toContain('PlaceOrder');
    expectProblem(
      await command(tenant, {
        type: 'ShipOrder',
        aggregateId: randomUUID(),
        payload: { trackingNumber: 'T' },
      }),
      404,
    );
    const conflict = await command(tenant, {
      type: 'ShipOrder',
      aggregateId: id,
      expectedVersion: 7,
      payload: { trackingNumber: 'T' },
    });
    expectProblem(conflict, 409);
    expect(conflict.body.currentVersion).toBe(1);
    expectProblem(await command(tenant, { type: 'DeliverOrder', aggregateId: id, payload: {} }), 422);
    expectProblem(
      await call(gw.url, 'POST', '/api/v1/commands/execute', {
        headers: { ...tenant.key, 'content-type': 'application/json' },
        rawBody: JSON.stringify({ ...placeOrder, pad: 'x'.repeat(300_000) }),
      }),
      413,
    );
    expectProblem(
      await call(gw.url, 'POST', '/api/v1/commands/execute', {
        headers: { ...tenant.key, 'content-type': 'text/plain' },
        rawBody: 'hi',
      }),
      415,
    );
    expectProblem(
      await call(gw.url, 'POST', '/api/v1/commands/execute', {
        headers: { ...tenant.key, 'content-type': 'application/json' },
        rawBody: '{"type":',
      }),
      400,
    );
  });

  test('a suspended tenant is refused (403) until reactivated', async () => {
    const tenant = await createTenant();
    const suspend = await call(gw.url, 'POST', `/api/v1/tenants/${tenant.tenantId}/commands/execute`, {
      headers: admin,
      body: { type: 'SuspendTenant', payload: { reason: 'unpaid' } },
    });
    expect(suspend.status).toBe(200);
    await expect(command(tenant, placeOrder)).resolves.toMatchObject({ status: 403 });
    expectProblem(await command(tenant, { type: 'SuspendTenant', payload: {} }), 403);
    await call(gw.url, 'POST', `/api/v1/tenants/${tenant.tenantId}/commands/execute`, {
      headers: admin,
      body: { type: 'ReactivateTenant', payload: {} },
    });
    expect((await command(tenant, placeOrder)).status).toBe(201);
  });

  test('over its quota a tenant gets 429 with Retry-After, while another tenant is unaffected, across two gateways', async () => {
    const [tenant, other] = [await createTenant(), await createTenant()];
    const quota = await call(gw.url, 'POST', `/api/v1/tenants/${tenant.tenantId}/commands/execute`, {
      headers: admin,
      body: { type: 'SetTenantQuota', payload: { commandsPerMinute: 1, maxBurst: 2 } },
    });
    expect(quota.status).toBe(200);
    const replica = await gw.replica();
    try {
      expect((await command(tenant, placeOrder)).status).toBe(201);
      const second = await call(replica.url, 'POST', '/api/v1/commands/execute', {
        headers: tenant.key,
        body: placeOrder,
      });
      expect(second.status).toBe(201);
      const third = await command(tenant, placeOrder);
      expectProblem(third, 429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expectProblem(
        await call(replica.url, 'POST', '/api/v1/commands/execute', {
          headers: tenant.key,
          body: placeOrder,
        }),
        429,
      );
      expect((await command(other, placeOrder)).status).toBe(201);
    } finally {
      await replica.stop();
    }
  });
});

describe('idempotency', () => {
  test('the same key and body replays the first response byte for byte and appends once; another body is 422', async () => {
    const tenant = await createTenant();
    const key = { 'idempotency-key': randomUUID() };
    const first = await command(tenant, placeOrder, key);
    const again = await command(tenant, placeOrder, key);
    expect(again.status).toBe(first.status);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const events = await call(gw.url, 'GET', `/api/v1/aggregates/Order/${first.body.aggregateId}/events`, {
      headers: tenant.key,
    });
    expect((events.body.events as unknown[]).length).toBe(1);
    expectProblem(
      await command(tenant, { ...placeOrder, payload: { ...placeOrder.payload, customerId: 'c-2' } }, key),
      422,
    );
  });

  test('20 parallel identical requests with one key append once and all get the same answer', async () => {
    const tenant = await createTenant();
    const key = { 'idempotency-key': randomUUID() };
    const answers = await Promise.all(Array.from({ length: 20 }, () => command(tenant, placeOrder, key)));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(answers[0]?.status).toBe(201);
    const correlation = String(answers[0]?.body.correlationId);
    const events = await call(gw.url, 'GET', `/api/v1/events?correlationId=${correlation}`, {
      headers: tenant.key,
    });
    expect((events.body.events as unknown[]).length).toBe(1);
  });
});

describe('isolation between tenants', () => {
  test("tenant B sees and changes nothing of tenant A's, whatever ids it sends", async () => {
    const [a, b] = [await createTenant(), await createTenant()];
    const key = { 'idempotency-key': randomUUID(), 'x-correlation-id': `corr-${randomUUID()}` };
    const placed = await command(a, placeOrder, key);
    const id = placed.body.aggregateId;

    expectProblem(
      await command(b, { type: 'ShipOrder', aggregateId: id, payload: { trackingNumber: 'T' } }),
      404,
    );
    expectProblem(await call(gw.url, 'GET', `/api/v1/aggregates/Order/${id}`, { headers: b.key }), 404);
    expectProblem(
      await call(gw.url, 'GET', `/api/v1/aggregates/Order/${id}/events`, { headers: b.key }),
      404,
    );
    const byCorrelation = await call(
      gw.url,
      'GET',
      `/api/v1/events?correlationId=${key['x-correlation-id']}`,
      { headers: b.key },
    );
    expect(byCorrelation.body.events).toEqual([]);
    const sameKey = await command(b, placeOrder, key);
    expect(sameKey.status).toBe(201);
    expect(sameKey.body.aggregateId).not.toBe(id);
    const aHistory = await call(gw.url, 'GET', `/api/v1/aggregates/Order/${id}/events`, { headers: a.key });
    expect((aHistory.body.events as unknown[]).length).toBe(1);
  });
});

describe('history', () => {
  test('state now, at a version and at an instant; the stream; events by correlation', async () => {
    const tenant = await createTenant();
    const placed = await command(tenant, placeOrder, { 'x-correlation-id': 'hist-1' });
    const id = placed.body.aggregateId;
    const [first] = (
      await call(gw.url, 'GET', `/api/v1/aggregates/Order/${id}/events`, { headers: tenant.key })
    ).body.events as Array<{ recordedAt: string }>;
    await clockPast(new Date(first!.recordedAt));
    await command(
      tenant,
      { type: 'ShipOrder', aggregateId: id, payload: { trackingNumber: 'T-9' } },
      { 'x-correlation-id': 'hist-1' },
    );

    const now = await call(gw.url, 'GET', `/api/v1/aggregates/Order/${id}`, { headers: tenant.key });
    expect(now.body).toMatchObject({ version: 2, state: { status: 'shipped' } });
    const v1 = await call(gw.url, 'GET', `/api/v1/aggregates/Order/${id}?version=1`, { headers: tenant.key });
    expect(v1.body).toMatchObject({ version: 1, state: { status: 'placed' } });
    const at = await call(
      gw.url,
      'GET',
      `/api/v1/aggregates/Order/${id}?at=${encodeURIComponent(first!.recordedAt)}`,
      {
        headers: tenant.key,
      },
    );
    expect(at.body).toMatchObject({ version: 1 });
    expectProblem(
      await call(gw.url, 'GET', `/api/v1/aggregates/Order/${id}?version=abc`, { headers: tenant.key }),
      400,
    );
    const correlated = await call(gw.url, 'GET', '/api/v1/events?correlationId=hist-1', {
      headers: tenant.key,
    });
    expect(
      (correlated.body.events as Array<{ type: string; causationId: string }>).map((e) => e.type),
    ).toEqual(['OrderPlaced', 'OrderShipped']);
  });
});

describe('robustness', () => {
  test('generated bad bodies for every command type never produce a 5xx', async () => {
    const tenant = await createTenant();
    const placed = await command(tenant, placeOrder);
    const types = boundedContexts.flatMap((decider) => Object.keys(decider.commands));
    const body = fc.record(
      {
        type: fc.oneof(fc.constantFrom(...types), fc.string(), fc.integer()),
        aggregateId: fc.oneof(
          fc.constant(placed.body.aggregateId),
          fc.uuid(),
          fc.string(),
          fc.constant(null),
        ),
        expectedVersion: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(1e308)),
        payload: fc.oneof(fc.anything(), fc.object(), fc.dictionary(fc.string(), fc.jsonValue())),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, async (generated) => {
        const answer = await command(tenant, generated);
        expect(answer.status).toBeLessThan(500);
      }),
      { numRuns: 150, seed: 4242 },
    );
    for (const raw of [
      '[]',
      'null',
      '"x"',
      '1e999',
      '{"type":"PlaceOrder","payload":{"customerId":"\\ud800"}}',
      '['.repeat(5000),
      '{"a":"\\u0000"}',
    ]) {
      const answer = await call(gw.url, 'POST', '/api/v1/commands/execute', {
        headers: { ...tenant.key, 'content-type': 'application/json' },
        rawBody: raw,
      });
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
    }
  });
});
