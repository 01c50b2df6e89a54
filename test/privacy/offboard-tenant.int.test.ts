/**
 * Issue #17: offboarding a tenant. Its data keys are destroyed, its API keys
 * revoked, its read-model rows, cache entries and quota counters deleted, in
 * one go or, after a crash, on a rerun; its own callers get 410 from then on,
 * and an event of it still on its way to the projector brings no row back.
 * Another tenant's rows, keys and Redis entries stay exactly as they were.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import type { TenantId } from '../../services/platform/tenancy/index.ts';
import type { RunningProjector } from '../../services/projector/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { awaitCaughtUp, startTestProjector, startTestRelay } from '../projector/pipeline.ts';
import { applyTestTopology, asOwner, deleteSubjects } from '../relay/harness.ts';
import { endpoints } from '../support/endpoints.ts';
import { ADMIN_TOKEN, JWT_SECRET, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { call } from '../support/http.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';

const prefix = `${uniqueName('offboard')}.`;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
let gw: TestGateway;
let relay: RunningRelay;
let projector: RunningProjector | undefined;
let redis: Redis;
const lastPosition = new Map<TenantId, number>();

interface Tenant {
  readonly id: TenantId;
  readonly apiKey: string;
}

async function createTenant(name: string): Promise<Tenant> {
  const created = await call(gw.url, 'POST', '/api/v1/tenants', {
    headers: admin,
    body: { name, plan: 'enterprise', contactName: `${name} contact`, contactEmail: `${name}@x.test` },
  });
  expect(created.status).toBe(201);
  return { id: created.body.tenantId as TenantId, apiKey: String(created.body.apiKey) };
}

async function placeOrder(tenant: Tenant, n: number): Promise<string> {
  const placed = await call(gw.url, 'POST', '/api/v1/commands/execute', {
    headers: { 'x-api-key': tenant.apiKey },
    body: {
      type: 'PlaceOrder',
      payload: {
        customerId: `customer-${n}`,
        currency: 'EUR',
        items: [{ sku: 'sku-1', quantity: n, unitPrice: 3 }],
        customerEmail: `customer-${n}@x.test`,
        shippingAddress: `${n} Main Street`,
      },
    },
  });
  expect(placed.status).toBe(201);
  lastPosition.set(tenant.id, Number(placed.body.position));
  return String(placed.body.aggregateId);
}

async function listOrders(tenant: Tenant) {
  return call(gw.url, 'POST', '/api/v1/queries/execute', {
    headers: { 'x-api-key': tenant.apiKey, 'x-min-position': String(lastPosition.get(tenant.id)) },
    body: { type: 'ListOrders', params: {} },
  });
}

/** Everything kept of a tenant outside its events: read-model rows, data keys, API keys, Redis keys and values. */
async function everythingOf(tenant: TenantId) {
  const tables = await asOwner<{ name: string }>(
    gw.db.adminUrl,
    `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.columns
      WHERE column_name = 'tenant_id' AND table_schema = 'readmodels' ORDER BY 1`,
  );
  const rows: Record<string, unknown[]> = {};
  for (const { name } of tables)
    rows[name] = await asOwner(
      gw.db.adminUrl,
      `SELECT to_jsonb(t) AS row FROM ${name} t WHERE tenant_id = $1 ORDER BY 1`,
      [tenant],
    );
  for (const table of ['personal_data_keys', 'api_keys'])
    rows[table] = await asOwner(
      gw.db.adminUrl,
      `SELECT to_jsonb(t) AS row FROM ${table} t WHERE tenant_id = $1 ORDER BY 1`,
      [tenant],
    );
  // Cached answers expire on their own (QUERY_CACHE_TTL_SECONDS): the counters and generations stay put.
  const keys = (await redis.keys(`*{${tenant}}*`)).filter((key) => !key.includes(':q:')).sort();
  const values: Record<string, string> = {};
  for (const key of keys) values[key] = JSON.stringify(await redis.dump(key));
  return { rows, redis: values };
}

function jwtFor(tenant: TenantId): Promise<string> {
  return new SignJWT({ tenant_id: tenant, sub: 'alice', roles: ['admin', 'reader', 'writer'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(JWT_SECRET));
}

beforeAll(async () => {
  gw = await startTestGateway({ KAFKA_TOPIC_PREFIX: prefix });
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(gw.db, prefix);
  projector = await startTestProjector(gw.db, prefix);
  redis = new Redis(endpoints().redisUrl);
}, 120_000);

afterAll(async () => {
  await projector?.close();
  await relay?.close();
  redis?.disconnect();
  await gw?.stop();
  await deleteSubjects(prefix);
});

test('offboarding erases the tenant everywhere but its events, answers 410 to its callers, and leaves another tenant row for row', async () => {
  const leaving = await createTenant('leaving');
  const staying = await createTenant('staying');
  for (const tenant of [leaving, staying]) {
    for (const n of [1, 2, 3]) await placeOrder(tenant, n);
    expect((await listOrders(tenant)).status).toBe(200);
  }
  await awaitCaughtUp(gw.db.appUrl, lastPosition);
  const before = await everythingOf(staying.id);
  expect(before.rows['readmodels.orders']).toHaveLength(3);

  // One of its events is still on its way when it leaves.
  await projector?.close();
  projector = undefined;
  await placeOrder(leaving, 4);
  const offboarded = await call(gw.url, 'POST', `/api/v1/tenants/${leaving.id}/offboard`, {
    headers: admin,
    body: { reason: 'the contract ended' },
  });
  expect(offboarded.status).toBe(200);
  expect(offboarded.body).toMatchObject({
    tenantId: leaving.id,
    auditEventId: expect.any(String),
    erased: { dataKeys: 5, apiKeys: 1, readModelRows: expect.objectContaining({ orders: 3, tenants: 1 }) },
  });
  expect((offboarded.body.erased as { redisKeys: number }).redisKeys).toBeGreaterThan(0);
  const kafka = (offboarded.body.remains as { kafka: { topic: string; retainedUntil: string }[] }).kafka;
  expect(kafka.map(({ topic }) => topic)).toEqual(
    expect.arrayContaining([`${prefix}tenants.events`, `${prefix}orders.events`]),
  );

  projector = await startTestProjector(gw.db, prefix);
  await awaitCaughtUp(gw.db.appUrl, lastPosition);
  const gone = await everythingOf(leaving.id);
  for (const [table, rows] of Object.entries(gone.rows)) {
    if (
      ['readmodels.watermarks', 'readmodels.erased_tenants', 'personal_data_keys', 'api_keys'].includes(table)
    )
      continue;
    expect({ table, rows }).toEqual({ table, rows: [] });
  }
  const [live] = await asOwner<{ dataKeys: number; apiKeys: number }>(
    gw.db.adminUrl,
    `SELECT (SELECT count(*)::int FROM personal_data_keys WHERE tenant_id = $1 AND destroyed_at IS NULL) AS "dataKeys",
            (SELECT count(*)::int FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL) AS "apiKeys"`,
    [leaving.id],
  );
  expect(live).toEqual({ dataKeys: 0, apiKeys: 0 });
  // What the offboarding deleted stays deleted. The one kind of key an event still in flight
  // writes afterwards is a query-cache generation: a position, no data, expiring within a day.
  expect(Object.keys(gone.redis).filter((key) => !key.includes(':gen:'))).toEqual([]);
  expect(await everythingOf(staying.id)).toEqual(before);

  // Its API key is revoked; a JWT its identity provider signed meets 410; so do the admin's commands.
  expect((await listOrders(leaving)).status).toBe(401);
  const jwt = await jwtFor(leaving.id);
  const query = await call(gw.url, 'POST', '/api/v1/queries/execute', {
    headers: { authorization: `Bearer ${jwt}` },
    body: { type: 'ListOrders', params: {} },
  });
  expect(query.status).toBe(410);
  expect(query.headers.get('content-type')).toContain('application/problem+json');
  const command = await call(gw.url, 'POST', `/api/v1/tenants/${leaving.id}/commands/execute`, {
    headers: admin,
    body: { type: 'RenameTenant', payload: { name: 'back again' } },
  });
  expect(command.status).toBe(410);
  const forget = await call(gw.url, 'POST', `/api/v1/tenants/${leaving.id}/subjects/customer-1/forget`, {
    headers: admin,
  });
  expect(forget.status).toBe(410);
  const shown = await call(gw.url, 'GET', `/api/v1/tenants/${leaving.id}`, { headers: admin });
  expect(shown.body).toMatchObject({ status: 'offboarded' });
  // Its events stay, append-only.
  const [events] = await asOwner<{ n: number }>(
    gw.db.adminUrl,
    'SELECT count(*)::int AS n FROM events WHERE tenant_id = $1',
    [leaving.id],
  );
  expect(events?.n).toBe(6);
  // The other tenant goes on as before.
  await placeOrder(staying, 5);
  expect((await listOrders(staying)).status).toBe(200);
}, 180_000);

test('a tenant’s admin offboards its own tenant; another tenant’s admin sees no tenant, a writer is refused', async () => {
  const tenant = await createTenant('self-service');
  const other = await createTenant('other');
  const intruder = await call(gw.url, 'POST', `/api/v1/tenants/${tenant.id}/offboard`, {
    headers: { 'x-api-key': other.apiKey },
  });
  expect(intruder.status).toBe(404);
  const writer = await call(gw.url, 'POST', `/api/v1/tenants/${tenant.id}/api-keys`, {
    headers: { 'x-api-key': tenant.apiKey },
    body: { roles: ['writer', 'reader'] },
  });
  const refused = await call(gw.url, 'POST', `/api/v1/tenants/${tenant.id}/offboard`, {
    headers: { 'x-api-key': String(writer.body.apiKey) },
  });
  expect(refused.status).toBe(403);
  const unknown = await call(gw.url, 'POST', `/api/v1/tenants/${randomUUID()}/offboard`, { headers: admin });
  expect(unknown.status).toBe(404);
  const routed = await call(gw.url, 'POST', `/api/v1/tenants/${tenant.id}/commands/execute`, {
    headers: admin,
    body: { type: 'OffboardTenant', payload: {} },
  });
  expect(routed.status).toBe(403);
  expect(routed.body.detail).toContain(`POST /api/v1/tenants/{tenantId}/offboard`);
  expect((await call(gw.url, 'GET', `/api/v1/tenants/${tenant.id}`, { headers: admin })).body).toMatchObject({
    status: 'active',
  });

  const own = await call(gw.url, 'POST', `/api/v1/tenants/${tenant.id}/offboard`, {
    headers: { 'x-api-key': tenant.apiKey },
  });
  expect(own.status).toBe(200);
  expect(own.body).toMatchObject({ erased: { apiKeys: 2 } });
  // Its own keys went with it; the other tenant's still work.
  expect(
    (await call(gw.url, 'GET', `/api/v1/tenants/${tenant.id}`, { headers: { 'x-api-key': tenant.apiKey } }))
      .status,
  ).toBe(401);
  expect(
    (await call(gw.url, 'GET', `/api/v1/tenants/${other.id}`, { headers: { 'x-api-key': other.apiKey } }))
      .status,
  ).toBe(200);
}, 60_000);

test('an offboarding that fails in its transaction changes nothing; one cut short after it is finished by a rerun', async () => {
  const tenant = await createTenant('interrupted');
  await placeOrder(tenant, 1);
  await awaitCaughtUp(gw.db.appUrl, lastPosition);
  const path = `/api/v1/tenants/${tenant.id}/offboard`;

  // A real failure inside the transaction, at the API keys' revocation.
  await asOwner(
    gw.db.adminUrl,
    `CREATE FUNCTION test_fail_revocation() RETURNS trigger LANGUAGE plpgsql AS
       $$ BEGIN RAISE EXCEPTION 'disk full (test)'; END $$;
     CREATE TRIGGER test_fail_revocation AFTER UPDATE ON api_keys
       FOR EACH ROW EXECUTE FUNCTION test_fail_revocation()`,
  );
  expect((await call(gw.url, 'POST', path, { headers: admin })).status).toBe(500);
  await asOwner(gw.db.adminUrl, 'DROP TRIGGER test_fail_revocation ON api_keys');
  expect((await call(gw.url, 'GET', `/api/v1/tenants/${tenant.id}`, { headers: admin })).body).toMatchObject({
    status: 'active',
  });
  expect((await listOrders(tenant)).status).toBe(200);

  // Cut short after the commit: this replica cannot reach Redis, so the tenant's keys there stay.
  const cut = await gw.replica({ REDIS_URL: 'redis://127.0.0.1:1' });
  try {
    const failed = await call(cut.url, 'POST', path, { headers: admin });
    expect(failed.status).toBeGreaterThanOrEqual(500);
  } finally {
    await cut.stop();
  }
  // Committed on the replica; this gateway's directory forgets its cached row within a second.
  await waitFor('the tenant offboarded', async () =>
    (await call(gw.url, 'GET', `/api/v1/tenants/${tenant.id}`, { headers: admin })).body.status ===
    'offboarded'
      ? true
      : undefined,
  );
  expect(await redis.keys(`*{${tenant.id}}*`)).not.toEqual([]);

  const rerun = await call(gw.url, 'POST', path, { headers: admin });
  expect(rerun.status).toBe(200);
  expect(rerun.body).toMatchObject({
    auditEventId: null,
    erased: { dataKeys: 0, apiKeys: 0, readModelRows: expect.objectContaining({ orders: 0 }) },
  });
  expect(await redis.keys(`*{${tenant.id}}*`)).toEqual([]);
  const [audits] = await asOwner<{ n: number }>(
    gw.db.adminUrl,
    `SELECT count(*)::int AS n FROM events WHERE tenant_id = $1 AND event_type = 'TenantOffboarded'`,
    [tenant.id],
  );
  expect(audits?.n).toBe(1);
}, 120_000);
