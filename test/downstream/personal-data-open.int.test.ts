import { randomUUID } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import { inTenantTransaction, openDatabase } from '../../services/platform/database/index.ts';
import { tenantId } from '../../services/platform/tenancy/index.ts';
import { keyEncryptionFrom, SubjectKeys } from '../../services/privacy/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { startTestRelay } from '../projector/pipeline.ts';
import {
  applyTestTopology,
  deleteSubjects,
  type ReceivedRecord,
  recordTopics,
  registry,
} from '../relay/harness.ts';
import { endpoints } from '../support/endpoints.ts';
import { ADMIN_TOKEN, PERSONAL_DATA_KEK, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { type Answer, call } from '../support/http.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';

// Issue #17, part 7 (docs/contracts.md §8 and §11): a downstream consumer allowed to see personal
// data reads the record from Kafka, where the personal fields hold only ciphertext, decodes it as
// any Confluent client does, and opens it through the gateway with a reader key of the tenant.

const prefix = `${uniqueName('open')}.`;
const ordersTopic = `${prefix}orders.events`;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const customer = 'customer-7';
const email = `ada-${randomUUID()}@example.com`;
const address = `${randomUUID()} Market Street, Brussels`;

let gw: TestGateway;
let relay: RunningRelay | undefined;
let recorder: Awaited<ReturnType<typeof recordTopics>> | undefined;
let pool: DatabasePool | undefined;
let acme: { id: string; key: Record<string, string> };
let other: { id: string; key: Record<string, string> };
let reader: Record<string, string>;
let record: ReceivedRecord;
let decoded: Record<string, unknown>;

async function createTenant(): Promise<{ id: string; key: Record<string, string> }> {
  const created = await call(gw.url, 'POST', '/api/v1/tenants', {
    headers: admin,
    body: { name: `open-${randomUUID()}`, plan: 'pro' },
  });
  expect(created.status).toBe(201);
  return { id: String(created.body.tenantId), key: { 'x-api-key': String(created.body.apiKey) } };
}

async function keyWith(roles: readonly string[]): Promise<Record<string, string>> {
  const issued = await call(gw.url, 'POST', `/api/v1/tenants/${acme.id}/api-keys`, {
    headers: acme.key,
    body: { roles },
  });
  expect(issued.status).toBe(201);
  return { 'x-api-key': String(issued.body.apiKey) };
}

/** The gateway's personal_data_values_opened_total for an outcome, its label names, and the whole /metrics page. */
async function openedValues(outcome: 'opened' | 'erased') {
  const page = await (await fetch(`${gw.opsUrl}/metrics`)).text();
  const line =
    page
      .split('\n')
      .find(
        (each) =>
          each.startsWith('personal_data_values_opened_total{') && each.includes(`outcome="${outcome}"`),
      ) ?? '';
  const labels = [...line.matchAll(/([a-z_]+)="/g)].map(([, name]) => name).sort();
  return { count: Number(line.split(' ').at(-1) ?? 0), labels, page };
}

function open(headers: Record<string, string>, tenant = acme.id, data: unknown = decoded): Promise<Answer> {
  return call(gw.url, 'POST', `/api/v1/tenants/${tenant}/personal-data/open`, { headers, body: { data } });
}

beforeAll(async () => {
  gw = await startTestGateway();
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(gw.db, prefix);
  recorder = await recordTopics(endpoints().kafkaBrokers, [ordersTopic]);
  acme = await createTenant();
  other = await createTenant();
  reader = await keyWith(['reader']);

  const placed = await call(gw.url, 'POST', '/api/v1/commands/execute', {
    headers: acme.key,
    body: {
      type: 'PlaceOrder',
      payload: {
        customerId: customer,
        customerEmail: email,
        shippingAddress: address,
        currency: 'EUR',
        items: [{ sku: 'sku-1', quantity: 2, unitPrice: 35.5 }],
      },
    },
  });
  expect(placed.status).toBe(201);
  const orderId = String(placed.body.aggregateId);
  record = await waitFor(
    'the OrderPlaced record on Kafka',
    () => recorder?.received.find((each) => each.headers['aggregate-id'] === orderId),
    { timeoutMs: 30_000 },
  );
  decoded = (await registry().decode(record.value)) as Record<string, unknown>;
}, 120_000);

afterAll(async () => {
  await recorder?.stop();
  await relay?.close();
  await pool?.end();
  await gw?.stop();
  await deleteSubjects(prefix);
});

test('the Kafka record holds only ciphertext: not in its bytes, key or headers, and elpd1 strings once decoded', () => {
  for (const secret of [email, address]) {
    expect(record.value.includes(Buffer.from(secret, 'utf8'))).toBe(false);
    expect(record.key).not.toContain(secret);
    expect(JSON.stringify(record.headers)).not.toContain(secret);
  }
  expect(decoded).toMatchObject({
    customerId: customer,
    customerEmail: expect.stringMatching(/^elpd1\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+$/),
    shippingAddress: expect.stringMatching(/^elpd1\./),
    currency: 'EUR',
  });
});

test('the tenant’s reader key and the platform admin open the decoded record; the metric counts without a value', async () => {
  for (const headers of [reader, admin]) {
    const opened = await open(headers);
    expect(opened.status).toBe(200);
    expect(opened.body).toEqual({
      data: { ...decoded, customerEmail: email, shippingAddress: address },
      erased: [],
    });
  }
  const { count, labels, page } = await openedValues('opened');
  expect(count).toBe(4);
  // By outcome only: never a tenant, a subject or a value.
  expect(labels).toEqual(['component', 'outcome']);
  expect(page).not.toContain(email);
  expect(page).not.toContain(address);
});

test('another tenant’s credentials get the 404 of a missing tenant, and its own tenant cannot read the values', async () => {
  const foreign = await open(other.key);
  expect(foreign.status).toBe(404);
  expect(foreign.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(foreign.body).toMatchObject({ status: 404, detail: `no tenant ${acme.id}` });
  const missing = await open(admin, randomUUID());
  expect({ status: missing.status, title: missing.body.title }).toEqual({
    status: foreign.status,
    title: foreign.body.title,
  });
  // Sent to its own tenant, the values name keys that tenant does not have: they read as erased.
  const ownTenant = await open(other.key, other.id);
  expect(ownTenant.status).toBe(200);
  expect(ownTenant.body.erased).toEqual(['/customerEmail', '/shippingAddress']);
  for (const answer of [foreign, missing, ownTenant]) {
    expect(answer.text).not.toContain(email);
    expect(answer.text).not.toContain(address);
  }
});

test('reader is the least role that opens (admin ⊃ writer ⊃ reader); a body without data, or an altered value, is a 400 naming it', async () => {
  const writer = await open(await keyWith(['writer']));
  expect(writer.status).toBe(200);
  expect(writer.body.erased).toEqual([]);

  const empty = await call(gw.url, 'POST', `/api/v1/tenants/${acme.id}/personal-data/open`, {
    headers: reader,
    body: {},
  });
  expect(empty.status).toBe(400);
  expect(empty.body.errors).toEqual([{ path: '/data', message: expect.stringMatching(/^is required/) }]);

  const parts = String(decoded.customerEmail).split('.');
  const ciphertext = parts[3] ?? '';
  parts[3] = `${ciphertext.startsWith('A') ? 'B' : 'A'}${ciphertext.slice(1)}`;
  const altered = await open(reader, acme.id, { ...decoded, customerEmail: parts.join('.') });
  expect(altered.status).toBe(400);
  expect(altered.body.errors).toEqual([
    { path: '/data/customerEmail', message: 'altered, or sealed for another tenant or subject' },
  ]);
  expect(altered.text).not.toContain(address);
});

test('once the customer’s key is destroyed, the same record opens with its personal fields null and listed erased', async () => {
  pool = await openDatabase(gw.db.appUrl, { maximumPoolSize: 2 });
  const encryption = keyEncryptionFrom({ PERSONAL_DATA_KEK });
  if (!encryption) throw new Error('the tests’ PERSONAL_DATA_KEK is unset');
  const keys = new SubjectKeys(pool, encryption);
  const tenant = tenantId(acme.id);
  const destroyed = await inTenantTransaction(pool, tenant, (tx) => keys.destroy(tx, tenant, customer));
  expect(destroyed).toBe(1);

  // Destroyed from another process: the gateway drops the key it holds within 30 s (docs/privacy.md).
  const erased = await waitFor(
    'the gateway to answer the destroyed key as erased',
    async () => {
      const answer = await open(reader);
      return Array.isArray(answer.body.erased) && answer.body.erased.length > 0 ? answer : undefined;
    },
    { timeoutMs: 45_000, intervalMs: 500 },
  );
  expect(erased.status).toBe(200);
  expect(erased.body).toEqual({
    data: { ...decoded, customerEmail: null, shippingAddress: null },
    erased: ['/customerEmail', '/shippingAddress'],
  });
  // Two from the other tenant's attempt, two now at least.
  expect((await openedValues('erased')).count).toBeGreaterThanOrEqual(4);
}, 90_000);
