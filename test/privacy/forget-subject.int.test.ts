/**
 * Issue #17: forgetting a person, across the whole pipeline. A customer's email
 * and shipping address go in through the gateway, out through the relay to
 * Kafka, into the read models, the query cache and (one poison order) a
 * dead-letter topic; after the forget, the plaintext is nowhere: no table, no
 * record's bytes, no Redis value, no log line of the three services. Reads
 * show the erased marker, a rebuild reproduces it and verify passes, and an
 * event of the forgotten subject that reaches the projector only afterwards is
 * applied, not parked.
 */
import { Redis } from 'ioredis';
import { openDatabase } from '../../services/platform/database/index.ts';
import type { TenantId } from '../../services/platform/tenancy/index.ts';
import type { RunningProjector } from '../../services/projector/index.ts';
import { projectionNamed, projections, rebuildProjection } from '../../services/readmodels/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { guardedOrders } from '../projector/guarded-orders.ts';
import {
  awaitCaughtUp,
  eventStoreOn,
  startTestProjector,
  startTestRelay,
  verifyAll,
} from '../projector/pipeline.ts';
import { applyTestTopology, asOwner, deleteSubjects } from '../relay/harness.ts';
import { capturedLogger } from '../support/captured-logger.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';
import { call } from '../support/http.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { everyRecord, everyRedisValue, tableCount, tablesHolding } from './plaintext-scan.ts';

const prefix = `${uniqueName('forget')}.`;
const unique = uniqueName('p').replace(/[^a-z0-9]/gi, '');
const subject = `customer-${unique}`;
const email = `forget-me-${unique}@example.test`;
const address = `${unique} Erasure Street, Ghent`;
const keptEmail = `keep-me-${unique}@example.test`;
const relayLog = capturedLogger('relay');
const projectorLog = capturedLogger('projector');
// The shipped projections, except that orders refuses one order of the subject: a poison event.
const withPoison = projections.map((projection) =>
  projection.name === 'orders'
    ? guardedOrders((event) => {
        const [item] = event.data.items as { sku: string }[];
        if (item?.sku === 'poison') throw new Error('this order breaks the handler');
      })
    : projection,
);

let db: TestDatabase;
let gateway: GatewayProcess;
let relay: RunningRelay;
let projector: RunningProjector | undefined;
let redis: Redis;
let tenant: TenantId;
let adminKey: string;
const lastPosition = new Map<TenantId, number>();

async function placeOrder(customerId: string, customerEmail: string, sku = 'sku-1'): Promise<string> {
  const placed = await call(gateway.url, 'POST', '/api/v1/commands/execute', {
    headers: { 'x-api-key': adminKey },
    body: {
      type: 'PlaceOrder',
      payload: {
        customerId,
        currency: 'EUR',
        items: [{ sku, quantity: 1, unitPrice: 9.5 }],
        customerEmail,
        shippingAddress: address,
      },
    },
  });
  expect(placed.status).toBe(201);
  lastPosition.set(tenant, Number(placed.body.position));
  return String(placed.body.aggregateId);
}

async function getOrder(orderId: string) {
  const answer = await call(gateway.url, 'POST', '/api/v1/queries/execute', {
    headers: { 'x-api-key': adminKey, 'x-min-position': String(lastPosition.get(tenant)) },
    body: { type: 'GetOrder', params: { orderId } },
  });
  expect(answer.status).toBe(200);
  return answer.body;
}

/** Every place each plaintext could be, with what holds it: empty when it is nowhere. */
async function whereAre(needles: readonly string[]): Promise<Record<string, string[]>> {
  const records = await everyRecord(endpoints().kafkaBrokers, prefix);
  const cached = await everyRedisValue(redis);
  const logs = [
    ...gateway.logLines,
    ...[...relayLog.lines, ...projectorLog.lines].map((line) => JSON.stringify(line)),
  ];
  const found: Record<string, string[]> = {};
  for (const needle of needles) {
    found[needle] = [
      ...(await tablesHolding(db.adminUrl, needle)).map((table) => `table ${table}`),
      ...records.filter((record) => record.bytes.includes(needle)).map((record) => `topic ${record.topic}`),
      ...cached
        .filter(({ key, text }) => key.includes(needle) || text.includes(needle))
        .map(({ key }) => `redis ${key}`),
      ...logs.filter((line) => line.includes(needle)).map(() => 'a log line'),
    ];
  }
  return found;
}

beforeAll(async () => {
  db = await createTestDatabase('forget');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  gateway = await startGatewayProcess({ databaseUrl: db.appUrl, logs: true });
  relay = await startTestRelay(db, prefix, { log: relayLog.log });
  projector = await startTestProjector(db, prefix, { projections: withPoison, log: projectorLog.log });
  redis = new Redis(endpoints().redisUrl);
  const created = await call(gateway.url, 'POST', '/api/v1/tenants', {
    headers: { authorization: `Bearer ${gateway.adminToken}` },
    body: {
      name: 'forget',
      plan: 'enterprise',
      contactName: 'Ada Contact',
      contactEmail: `contact-${unique}@x.test`,
    },
  });
  expect(created.status).toBe(201);
  tenant = created.body.tenantId as TenantId;
  adminKey = String(created.body.apiKey);
}, 120_000);

afterAll(async () => {
  await projector?.close();
  await relay?.close();
  await gateway?.kill();
  redis?.disconnect();
  await db?.drop();
  await deleteSubjects(prefix);
});

test('after a forget, the subject’s plaintext is in no table, record, Redis value or log line, and reads show it erased', async () => {
  const order = await placeOrder(subject, email);
  const poison = await placeOrder(subject, email, 'poison');
  const kept = await placeOrder('customer-kept', keptEmail);
  await awaitCaughtUp(db.appUrl, lastPosition);
  await waitFor('the poison order parked', async () =>
    (await asOwner(db.adminUrl, 'SELECT 1 FROM readmodels.dead_letters WHERE event_id IS NOT NULL')).length >
    0
      ? true
      : undefined,
  );
  // Read once, opened, so that the cache holds the answers too.
  expect((await getOrder(order)).data).toMatchObject({ customerEmail: email, shippingAddress: address });
  expect((await getOrder(kept)).data).toMatchObject({ customerEmail: keptEmail });
  // Before the forget the plaintext is nowhere either: only ever stored sealed.
  expect(await whereAre([email])).toEqual({ [email]: [] });

  const forgotten = await call(gateway.url, 'POST', `/api/v1/tenants/${tenant}/subjects/${subject}/forget`, {
    headers: { 'x-api-key': adminKey },
  });
  expect(forgotten.status).toBe(200);
  expect(forgotten.body).toMatchObject({
    tenantId: tenant,
    subject,
    keysDestroyed: 1,
    plaintextCopiesErased: 0,
  });

  expect(await tableCount(db.adminUrl)).toBeGreaterThan(15);
  const found = await whereAre([email, address, subject]);
  expect(found[email]).toEqual([]);
  expect(found[address]).toEqual([]);
  // The scan does find what is stored in the clear: the subject's id (a pseudonym), everywhere.
  expect(found[subject]).toEqual(
    expect.arrayContaining([
      'table public.events',
      'table readmodels.orders',
      `topic ${prefix}orders.events`,
      `topic ${prefix}orders.events.orders.dlq`,
    ]),
  );
  expect(found[subject]?.some((place) => place.startsWith('redis '))).toBe(true);
  const erased = await getOrder(order);
  expect(erased.data).toMatchObject({ customerId: subject, customerEmail: null, shippingAddress: null });
  expect(erased.erased).toEqual(expect.arrayContaining(['/data/customerEmail', '/data/shippingAddress']));
  // Another customer's data, sealed the same way, still opens.
  expect((await getOrder(kept)).data).toMatchObject({ customerEmail: keptEmail, shippingAddress: address });
  const history = await call(gateway.url, 'GET', `/api/v1/aggregates/Order/${poison}/events`, {
    headers: { 'x-api-key': adminKey },
  });
  expect(history.status).toBe(200);
  expect(history.text).not.toContain(email);
  // The exports open what can be opened: the kept customer's email, never the forgotten one's.
  const headers = { 'x-api-key': adminKey };
  const tenantExport = await call(gateway.url, 'GET', `/api/v1/tenants/${tenant}/export`, { headers });
  expect(tenantExport.status).toBe(200);
  expect(tenantExport.text).toContain(keptEmail);
  expect(tenantExport.text).not.toContain(email);
  const subjectExport = await call(
    gateway.url,
    'GET',
    `/api/v1/tenants/${tenant}/subjects/${subject}/export`,
    {
      headers,
    },
  );
  expect(subjectExport.status).toBe(200);
  expect(subjectExport.text).toContain('"/data/customerEmail"');
  expect(subjectExport.text).not.toContain(email);

  // Forgetting again is harmless, and audited again.
  const again = await call(gateway.url, 'POST', `/api/v1/tenants/${tenant}/subjects/${subject}/forget`, {
    headers: { 'x-api-key': adminKey },
  });
  expect(again.body).toMatchObject({ keysDestroyed: 0 });
  const audits = await asOwner<{ data: unknown }>(
    db.adminUrl,
    `SELECT data FROM events WHERE tenant_id = $1 AND event_type = 'SubjectForgotten'`,
    [tenant],
  );
  expect(audits).toEqual([{ data: { subject } }, { data: { subject } }]);
}, 120_000);

test('a rebuild after the forget reproduces the erased marker, and verify passes', async () => {
  const owner = await openDatabase(db.adminUrl, { maximumPoolSize: 2 });
  try {
    await rebuildProjection(owner, projectionNamed('orders'), { events: await eventStoreOn(owner) });
  } finally {
    await owner.end();
  }
  const [row] = await asOwner<{ order_id: string }>(
    db.adminUrl,
    'SELECT order_id FROM readmodels.orders WHERE customer_id = $1 LIMIT 1',
    [subject],
  );
  expect((await getOrder(String(row?.order_id))).data).toMatchObject({
    customerEmail: null,
    shippingAddress: null,
  });
  for (const report of await verifyAll(db)) expect(report).toMatchObject({ consistent: true });
}, 120_000);

test('an event of a forgotten subject reaching the projector only after the forget is applied, not parked', async () => {
  await projector?.close();
  projector = undefined;
  const late = `late-${unique}`;
  const order = await placeOrder(late, `late-${email}`);
  const forgotten = await call(gateway.url, 'POST', `/api/v1/tenants/${tenant}/subjects/${late}/forget`, {
    headers: { authorization: `Bearer ${gateway.adminToken}` },
  });
  expect(forgotten.status).toBe(200);
  projector = await startTestProjector(db, prefix, { projections: withPoison, log: projectorLog.log });
  await awaitCaughtUp(db.appUrl, lastPosition);
  expect((await getOrder(order)).data).toMatchObject({
    customerId: late,
    customerEmail: null,
    shippingAddress: null,
  });
  const parked = await asOwner(
    db.adminUrl,
    `SELECT 1 FROM readmodels.dead_letters d JOIN events e USING (event_id) WHERE e.stream_id = $1`,
    [order],
  );
  expect(parked).toEqual([]);
}, 120_000);

test('another tenant’s admin cannot forget this tenant’s subjects, and a writer cannot forget at all', async () => {
  const other = await call(gateway.url, 'POST', '/api/v1/tenants', {
    headers: { authorization: `Bearer ${gateway.adminToken}` },
    body: { name: 'other', plan: 'pro' },
  });
  const intruder = await call(
    gateway.url,
    'POST',
    `/api/v1/tenants/${tenant}/subjects/customer-kept/forget`,
    {
      headers: { 'x-api-key': String(other.body.apiKey) },
    },
  );
  expect(intruder.status).toBe(404);
  const writer = await call(gateway.url, 'POST', `/api/v1/tenants/${tenant}/api-keys`, {
    headers: { 'x-api-key': adminKey },
    body: { roles: ['writer', 'reader'] },
  });
  const refused = await call(gateway.url, 'POST', `/api/v1/tenants/${tenant}/subjects/customer-kept/forget`, {
    headers: { 'x-api-key': String(writer.body.apiKey) },
  });
  expect(refused.status).toBe(403);
  const [keys] = await asOwner<{ live: number }>(
    db.adminUrl,
    `SELECT count(*)::int AS live FROM personal_data_keys
      WHERE tenant_id = $1 AND subject = 'customer-kept' AND destroyed_at IS NULL`,
    [tenant],
  );
  expect(keys?.live).toBe(1);
}, 60_000);

test('a forget that fails in its transaction destroys nothing and records nothing; run again, it finishes', async () => {
  const victim = `crash-${unique}`;
  await placeOrder(victim, `crash-${email}`);
  // A real failure inside the forget's transaction, after the key's destruction was written.
  await asOwner(
    db.adminUrl,
    `CREATE FUNCTION test_fail_key_destruction() RETURNS trigger LANGUAGE plpgsql AS
       $$ BEGIN RAISE EXCEPTION 'disk full (test)'; END $$;
     CREATE TRIGGER test_fail_key_destruction AFTER UPDATE ON personal_data_keys
       FOR EACH ROW EXECUTE FUNCTION test_fail_key_destruction()`,
  );
  const path = `/api/v1/tenants/${tenant}/subjects/${victim}/forget`;
  const failed = await call(gateway.url, 'POST', path, { headers: { 'x-api-key': adminKey } });
  expect(failed.status).toBe(500);
  const state = async () =>
    asOwner<{ keys: number; audits: number }>(
      db.adminUrl,
      `SELECT (SELECT count(*)::int FROM personal_data_keys
                WHERE tenant_id = $1 AND subject = $2 AND destroyed_at IS NULL) AS keys,
              (SELECT count(*)::int FROM events
                WHERE tenant_id = $1 AND event_type = 'SubjectForgotten' AND data ->> 'subject' = $2) AS audits`,
      [tenant, victim],
    );
  expect(await state()).toEqual([{ keys: 1, audits: 0 }]);

  await asOwner(db.adminUrl, 'DROP TRIGGER test_fail_key_destruction ON personal_data_keys');
  const finished = await call(gateway.url, 'POST', path, { headers: { 'x-api-key': adminKey } });
  expect(finished.status).toBe(200);
  expect(finished.body).toMatchObject({ keysDestroyed: 1 });
  expect(await state()).toEqual([{ keys: 0, audits: 1 }]);
}, 60_000);
