/**
 * Data keys ride with the appends that seal with them (migration 2003): a key
 * is made in the process, stored in the append's own statement, and so commits
 * with the first event it seals, on every append path (alone, a batch of
 * creations, in a transaction with what goes alongside); a key another process
 * destroyed stays destroyed when an append sends it again.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';
import { asOwner } from '../../test/relay/harness.ts';
import { EventSchemas } from '../avro/index.ts';
import { newStreamId, PostgresEventStore, type StreamId, Upcasters } from '../eventstore/index.ts';
import { inTenantTransaction, openDatabase, sql } from '../platform/database/index.ts';
import { type TenantId, tenantId } from '../platform/tenancy/index.ts';
import { destroySubjectKeys, LocalKeyEncryption, PersonalData, SubjectKeys } from './index.ts';

let db: TestDatabase;
let pool: DatabasePool;
let schemas: EventSchemas;
const encryption = new LocalKeyEncryption(['test', randomBytes(32)]);

/** A gateway process: its own keys, its own store. */
function processOf(): { store: PostgresEventStore; personalData: PersonalData } {
  const personalData = new PersonalData(new SubjectKeys(pool, encryption), schemas);
  return { store: new PostgresEventStore(pool, schemas, new Upcasters(), { personalData }), personalData };
}

function placed(customer: string) {
  return {
    type: 'OrderPlaced',
    data: {
      customerId: customer,
      customerEmail: `${customer}@example.test`,
      shippingAddress: null,
      currency: 'EUR',
      items: [{ sku: 'sku-1', quantity: 1, unitPrice: 2 }],
    },
  };
}

const meta = { correlationId: 'keys-test', causationId: 'keys-test' };

async function placeOrder(
  store: PostgresEventStore,
  tenant: TenantId,
  customer: string,
  alongside?: () => Promise<void>,
): Promise<StreamId> {
  const stream = newStreamId();
  await store.appendToStream(
    tenant,
    { id: stream, type: 'Order', context: 'orders' },
    'no-stream',
    [placed(customer)],
    meta,
    alongside ? { alongside } : {},
  );
  return stream;
}

async function keyRows(tenant: TenantId) {
  return asOwner<{ subject: string; live: boolean }>(
    db.adminUrl,
    'SELECT subject, wrapped_key IS NOT NULL AS live FROM personal_data_keys WHERE tenant_id = $1 ORDER BY subject',
    [tenant],
  );
}

/** The stream's first event's data, opened as the gateway answers it. */
async function opened(personalData: PersonalData, tenant: TenantId, stream: StreamId) {
  const data = await inTenantTransaction(pool, tenant, (tx) =>
    tx.oneFirst(sql.type(z.object({ data: z.record(z.string(), z.unknown()) }))`
      SELECT data FROM events WHERE tenant_id = ${tenant} AND stream_id = ${stream}`),
  );
  return personalData.open(tenant, data);
}

beforeAll(async () => {
  db = await createTestDatabase('keys_kept');
  pool = await openDatabase(db.appUrl, { maximumPoolSize: 20 });
  schemas = await EventSchemas.load();
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

test('each append path stores the key it sealed with, with its events; every event opens', async () => {
  const tenant = tenantId(randomUUID());
  const { store, personalData } = processOf();
  const alone = await placeOrder(store, tenant, 'alone');
  const alongside = await placeOrder(store, tenant, 'alongside', async () => undefined);
  // Many creations at once share a statement (CreationBatcher): their keys go in it too.
  const batch = Array.from({ length: 40 }, (_, i) => `batch-${String(i).padStart(2, '0')}`);
  const batched = await Promise.all(batch.map((customer) => placeOrder(store, tenant, customer)));

  const rows = await keyRows(tenant);
  expect(rows.map((row) => row.subject)).toEqual(['alone', 'alongside', ...batch]);
  expect(rows.every((row) => row.live)).toBe(true);
  for (const [stream, customer] of [
    [alone, 'alone'],
    [alongside, 'alongside'],
    ...batched.map((stream, i) => [stream, batch[i]] as const),
  ] as const) {
    expect((await opened(personalData, tenant, stream)).data).toMatchObject({
      customerEmail: `${customer}@example.test`,
    });
  }
});

test('an append undone stores no key; the next one stores the key with its event', async () => {
  const tenant = tenantId(randomUUID());
  const { store, personalData } = processOf();
  await expect(
    placeOrder(store, tenant, 'undone', async () => {
      throw new Error('what went alongside failed');
    }),
  ).rejects.toThrow('what went alongside failed');
  expect(await keyRows(tenant)).toEqual([]);
  // The same process seals with the same key again: this time it is stored.
  const stream = await placeOrder(store, tenant, 'undone');
  expect(await keyRows(tenant)).toEqual([{ subject: 'undone', live: true }]);
  expect((await opened(personalData, tenant, stream)).erased).toEqual([]);
});

test('a key another process destroyed stays destroyed when an append sends it again', async () => {
  const tenant = tenantId(randomUUID());
  const first = processOf();
  const before = await placeOrder(first.store, tenant, 'forgotten');
  // Another process forgets the customer while this one still seals with the key.
  await inTenantTransaction(pool, tenant, (tx) => destroySubjectKeys(tx, tenant, 'forgotten'));
  const after = await placeOrder(first.store, tenant, 'forgotten');
  expect(await keyRows(tenant)).toEqual([{ subject: 'forgotten', live: false }]);
  // Read as a process that holds no copy of the key in memory.
  const reader = processOf().personalData;
  for (const stream of [before, after]) {
    expect((await opened(reader, tenant, stream)).erased).toEqual(['/customerEmail']);
  }
});
