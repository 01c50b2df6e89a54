/**
 * Exports (docs/contracts.md §6.1) against the real stack: a gateway on its
 * own database, with a relay and projector filling its read models from Kafka,
 * so the rows an export hands out are the projector's own.
 */
import { randomUUID } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import {
  ADMIN_TOKEN,
  PERSONAL_DATA_KEK,
  startTestGateway,
  type TestGateway,
} from '../../test/support/gateway.ts';
import { call } from '../../test/support/http.ts';
import { awaitCaughtUp, startTestProjector, startTestRelay } from '../../test/projector/pipeline.ts';
import { applyTestTopology, deleteSubjects } from '../../test/relay/harness.ts';
import { endpoints } from '../../test/support/endpoints.ts';
import { uniqueName } from '../../test/support/names.ts';
import { inTenantTransaction, openDatabase } from '../platform/database/index.ts';
import { type TenantId, tenantId } from '../platform/tenancy/index.ts';
import { keyEncryptionFrom, SubjectKeys } from '../privacy/index.ts';
import type { RunningProjector } from '../projector/index.ts';
import type { RunningRelay } from '../relay/index.ts';

const prefix = `${uniqueName('export')}.`;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
let gw: TestGateway;
let relay: RunningRelay;
let projector: RunningProjector;
let pool: DatabasePool;

interface Line {
  readonly kind: 'event' | 'row' | 'end';
  readonly [field: string]: unknown;
}

interface Export {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
  readonly lines: readonly Line[];
  readonly events: readonly Line[];
  readonly rows: readonly Line[];
  readonly end: Line | undefined;
}

async function exportAt(url: string, path: string, headers: Record<string, string>): Promise<Export> {
  const response = await fetch(`${url}${path}`, { headers });
  const text = await response.text();
  const lines = response.ok
    ? text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Line)
    : [];
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    text,
    lines,
    events: lines.filter((line) => line.kind === 'event'),
    rows: lines.filter((line) => line.kind === 'row'),
    end: lines.at(-1)?.kind === 'end' ? lines.at(-1) : undefined,
  };
}

/** A tenant with a contact, and orders of two customers whose emails and addresses are personal data. */
interface Shop {
  readonly tenant: TenantId;
  readonly key: Record<string, string>;
  readonly lastPosition: number;
}

const ann = {
  customerId: 'customer-ann',
  customerEmail: 'ann@example.com',
  shippingAddress: '1 Ann Street, Annecy',
};
const bob = {
  customerId: 'customer-bob',
  customerEmail: 'bob@example.com',
  shippingAddress: '2 Bob Road, Bobbio',
};
const contact = { contactName: 'Carla Contact', contactEmail: 'carla@example.com' };

async function openShop(): Promise<Shop> {
  const created = await call(gw.url, 'POST', '/api/v1/tenants', {
    headers: admin,
    body: { name: `shop-${randomUUID()}`, plan: 'enterprise', ...contact },
  });
  expect(created.status).toBe(201);
  const key = { 'x-api-key': String(created.body.apiKey) };
  let lastPosition = 0;
  const place = async (customer: typeof ann) => {
    const placed = await call(gw.url, 'POST', '/api/v1/commands/execute', {
      headers: key,
      body: {
        type: 'PlaceOrder',
        payload: { ...customer, currency: 'EUR', items: [{ sku: 'sku-1', quantity: 2, unitPrice: 10.25 }] },
      },
    });
    expect(placed.status).toBe(201);
    lastPosition = Number(placed.body.position);
    return String(placed.body.aggregateId);
  };
  const annsFirst = await place(ann);
  await place(bob);
  await place(ann);
  const shipped = await call(gw.url, 'POST', '/api/v1/commands/execute', {
    headers: key,
    body: { type: 'ShipOrder', aggregateId: annsFirst, payload: { trackingNumber: 'TRACK-1' } },
  });
  expect(shipped.status).toBe(200);
  lastPosition = Number(shipped.body.position);
  const tenant = tenantId(String(created.body.tenantId));
  await awaitCaughtUp(gw.db.appUrl, new Map([[tenant, lastPosition]]));
  return { tenant, key, lastPosition };
}

const plaintexts = (who: typeof ann) => [who.customerEmail, who.shippingAddress];

beforeAll(async () => {
  gw = await startTestGateway();
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(gw.db, prefix);
  projector = await startTestProjector(gw.db, prefix);
  pool = await openDatabase(gw.db.appUrl, { maximumPoolSize: 2 });
});

afterAll(async () => {
  await pool?.end();
  await projector?.close();
  await relay?.close();
  await gw?.stop();
  await deleteSubjects(prefix);
});

describe('tenant export', () => {
  let shop: Shop;
  let full: Export;

  beforeAll(async () => {
    shop = await openShop();
    full = await exportAt(gw.url, `/api/v1/tenants/${shop.tenant}/export`, admin);
  });

  test('every event in commit order with its personal data opened, then the read-model rows, then the end line', async () => {
    expect(full.status).toBe(200);
    expect(full.contentType).toMatch(/^application\/x-ndjson/);
    expect(full.events.map((line) => line.type)).toEqual([
      'TenantCreated',
      'OrderPlaced',
      'OrderPlaced',
      'OrderPlaced',
      'OrderShipped',
    ]);
    const cursors = full.events.map((line) => String(line.cursor));
    expect([...cursors].sort()).toEqual(cursors);
    expect(new Set(cursors).size).toBe(cursors.length);
    expect(full.events.at(-1)).toMatchObject({ kind: 'event', position: shop.lastPosition, erased: [] });
    expect(full.events[0]).toMatchObject({ data: contact, erased: [] });
    expect(full.events.slice(1, 4).map((line) => line.data)).toEqual([
      expect.objectContaining(ann),
      expect.objectContaining(bob),
      expect.objectContaining(ann),
    ]);
    // Events first, then rows, then the end line, which counts them.
    const kinds = full.lines.map((line) => line.kind);
    expect(kinds.lastIndexOf('event')).toBeLessThan(kinds.indexOf('row'));
    expect(full.end).toEqual({
      kind: 'end',
      events: full.events.length,
      rows: full.rows.length,
      cursor: cursors.at(-1),
    });
    const orders = full.rows.filter((line) => line.readModel === 'orders');
    expect(orders.map((line) => line.row)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ customer_email: ann.customerEmail, shipping_address: ann.shippingAddress }),
        expect.objectContaining({ customer_email: bob.customerEmail, total: '20.50', status: 'placed' }),
      ]),
    );
    expect(orders).toHaveLength(3);
    expect(new Set(full.rows.map((line) => line.readModel))).toEqual(
      new Set(['orders', 'customer_order_stats', 'tenant_stats', 'tenants']),
    );
    // Opened everywhere: no sealed value is left in the export.
    expect(full.text).not.toContain('elpd1.');
  });

  test('the tenant’s own admin key gets the same export as the platform admin', async () => {
    const own = await exportAt(gw.url, `/api/v1/tenants/${shop.tenant}/export`, shop.key);
    expect(own.events).toEqual(full.events);
    expect(own.end).toEqual(full.end);
  });

  test('resuming after a cursor from the middle gives exactly the rest, and the rows again', async () => {
    const middle = String(full.events[2]?.cursor);
    const rest = await exportAt(gw.url, `/api/v1/tenants/${shop.tenant}/export?after=${middle}`, admin);
    expect(rest.events).toEqual(full.events.slice(3));
    expect(rest.rows).toHaveLength(full.rows.length);
    expect(rest.end).toEqual({ ...full.end, events: 2 });
    const atTheEnd = String(full.events.at(-1)?.cursor);
    const nothing = await exportAt(gw.url, `/api/v1/tenants/${shop.tenant}/export?after=${atTheEnd}`, admin);
    expect(nothing.events).toEqual([]);
    expect(nothing.end).toMatchObject({ events: 0, cursor: atTheEnd });
  });

  test('a malformed cursor is a problem naming the query field, before anything is streamed', async () => {
    const answer = await call(gw.url, 'GET', `/api/v1/tenants/${shop.tenant}/export?after=12-34`, {
      headers: admin,
    });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body.errors).toEqual([
      { path: '/query/after', message: expect.stringContaining('cursor') },
    ]);
  });
});

describe('subject export', () => {
  test('holds only the events and rows with that subject’s sealed values; a subject with none only the end line', async () => {
    const shop = await openShop();
    const anns = await exportAt(
      gw.url,
      `/api/v1/tenants/${shop.tenant}/subjects/${ann.customerId}/export`,
      admin,
    );
    expect(anns.status).toBe(200);
    expect(
      anns.events.map((line) => [line.type, (line.data as Record<string, unknown>).customerEmail]),
    ).toEqual([
      ['OrderPlaced', ann.customerEmail],
      ['OrderPlaced', ann.customerEmail],
    ]);
    expect(
      anns.rows.map((line) => [line.readModel, (line.row as Record<string, unknown>).customer_email]),
    ).toEqual([
      ['orders', ann.customerEmail],
      ['orders', ann.customerEmail],
    ]);
    for (const other of [...plaintexts(bob), contact.contactEmail]) expect(anns.text).not.toContain(other);
    expect(anns.end).toEqual({ kind: 'end', events: 2, rows: 2, cursor: anns.events.at(-1)?.cursor });

    const theContact = await exportAt(
      gw.url,
      `/api/v1/tenants/${shop.tenant}/subjects/contact/export`,
      shop.key,
    );
    expect(theContact.events).toEqual([
      expect.objectContaining({ type: 'TenantCreated', data: expect.objectContaining(contact) }),
    ]);

    const nobody = await exportAt(gw.url, `/api/v1/tenants/${shop.tenant}/subjects/nobody/export`, admin);
    expect(nobody.lines).toEqual([{ kind: 'end', events: 0, rows: 0, cursor: null }]);
  });

  test('once the subject’s keys are destroyed, the export marks the values erased and holds their plaintext nowhere', async () => {
    const shop = await openShop();
    const keys = new SubjectKeys(
      pool,
      keyEncryptionFrom({ PERSONAL_DATA_KEK }) as NonNullable<ReturnType<typeof keyEncryptionFrom>>,
    );
    expect(
      await inTenantTransaction(pool, shop.tenant, (tx) => keys.destroy(tx, shop.tenant, ann.customerId)),
    ).toBe(1);
    // A gateway started now: the first one may keep the key it unwrapped for up to 30 s (docs/privacy.md).
    const fresh = await gw.replica();
    try {
      const anns = await exportAt(
        fresh.url,
        `/api/v1/tenants/${shop.tenant}/subjects/${ann.customerId}/export`,
        admin,
      );
      expect(anns.events).toHaveLength(2);
      for (const line of anns.events) {
        expect(line.data).toMatchObject({
          customerId: ann.customerId,
          customerEmail: null,
          shippingAddress: null,
        });
        expect(line.erased).toEqual(['/data/customerEmail', '/data/shippingAddress']);
      }
      expect(anns.rows.map((line) => line.erased)).toEqual([
        ['/row/customer_email', '/row/shipping_address'],
        ['/row/customer_email', '/row/shipping_address'],
      ]);
      const whole = await exportAt(fresh.url, `/api/v1/tenants/${shop.tenant}/export`, admin);
      for (const text of [anns.text, whole.text]) {
        for (const plaintext of plaintexts(ann)) expect(text).not.toContain(plaintext);
        expect(text).not.toContain('elpd1.');
      }
      expect(whole.text).toContain(bob.customerEmail);
      expect(whole.end).toMatchObject({ events: 5 });
    } finally {
      await fresh.stop();
    }
  });
});

describe('who may export', () => {
  test('another tenant’s admin gets the 404 of a missing tenant; reader and writer keys get 403; no credentials 401', async () => {
    const created = await call(gw.url, 'POST', '/api/v1/tenants', {
      headers: admin,
      body: { name: `mine-${randomUUID()}`, plan: 'pro' },
    });
    const mine = String(created.body.tenantId);
    const mineAdmin = { 'x-api-key': String(created.body.apiKey) };
    const theirs = await call(gw.url, 'POST', '/api/v1/tenants', {
      headers: admin,
      body: { name: `theirs-${randomUUID()}`, plan: 'pro' },
    });
    const theirAdmin = { 'x-api-key': String(theirs.body.apiKey) };
    const missing = randomUUID();
    for (const path of ['export', 'subjects/customer-ann/export']) {
      const foreign = await call(gw.url, 'GET', `/api/v1/tenants/${mine}/${path}`, { headers: theirAdmin });
      const absent = await call(gw.url, 'GET', `/api/v1/tenants/${missing}/${path}`, { headers: admin });
      const absentToThem = await call(gw.url, 'GET', `/api/v1/tenants/${missing}/${path}`, {
        headers: theirAdmin,
      });
      for (const answer of [foreign, absent, absentToThem]) {
        expect(answer.status).toBe(404);
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
      expect(foreign.body.title).toBe(absent.body.title);
      expect(foreign.body.detail).toBe(`no tenant ${mine}`);
      expect(absentToThem.body.detail).toBe(`no tenant ${missing}`);
      for (const role of ['reader', 'writer']) {
        const issued = await call(gw.url, 'POST', `/api/v1/tenants/${mine}/api-keys`, {
          headers: mineAdmin,
          body: { roles: [role] },
        });
        const refused = await call(gw.url, 'GET', `/api/v1/tenants/${mine}/${path}`, {
          headers: { 'x-api-key': String(issued.body.apiKey) },
        });
        expect({ role, status: refused.status }).toEqual({ role, status: 403 });
      }
      expect((await call(gw.url, 'GET', `/api/v1/tenants/${mine}/${path}`)).status).toBe(401);
      expect(
        (await call(gw.url, 'GET', `/api/v1/tenants/${mine}/${path}`, { headers: mineAdmin })).status,
      ).toBe(200);
    }
  });
});
