import { randomBytes, randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { EventSchemas } from '../../avro/index.ts';
import { newStreamId, PostgresEventStore, type StreamId, Upcasters } from '../../eventstore/index.ts';
import { inTenantTransaction, openDatabase, sql } from '../../platform/database/index.ts';
import { type TenantId, tenantId } from '../../platform/tenancy/index.ts';
import {
  type KeyEncryption,
  keyEncryptionFrom,
  PersonalData,
  rewrapDataKeys,
  SubjectKeys,
} from '../../privacy/index.ts';
import { runCli } from '../run-cli.ts';

// KEK rotation (issue #17, docs/privacy.md): data keys sealed under one key-encryption key are
// re-wrapped under the next by `eventline personal-data rewrap`, as the schema owner, and then
// open with the new key alone; events are never touched.

const kek = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const A = kek('a');
const B = kek('b');
const C = kek('c');

function encryption(current: string, previous?: string): KeyEncryption {
  const made = keyEncryptionFrom({ PERSONAL_DATA_KEK: current, PERSONAL_DATA_PREVIOUS_KEKS: previous });
  if (!made) throw new Error('no key-encryption key');
  return made;
}

let db: TestDatabase;
let app: DatabasePool;
let owner: DatabasePool;
let schemas: EventSchemas;
let output: string[];
let errors: string[];
const saved = { ...process.env };
const orders: { tenant: TenantId; stream: StreamId; customer: string }[] = [];

/** Orders placed through the event store, sealing with what `keys` wraps: as a gateway holding that KEK. */
async function placeOrders(keys: KeyEncryption, tenant: TenantId, customers: readonly string[]) {
  const store = new PostgresEventStore(app, schemas, new Upcasters(), {
    personalData: new PersonalData(new SubjectKeys(app, keys), schemas),
  });
  for (const customer of customers) {
    const stream = newStreamId();
    await store.appendToStream(
      tenant,
      { id: stream, type: 'Order', context: 'orders' },
      'no-stream',
      [
        {
          type: 'OrderPlaced',
          data: {
            customerId: customer,
            customerEmail: `${customer}@example.com`,
            shippingAddress: `1 ${customer} Street`,
            currency: 'EUR',
            items: [{ sku: 'sku-1', quantity: 1, unitPrice: 3 }],
          },
        },
      ],
      { correlationId: randomUUID(), causationId: null },
    );
    orders.push({ tenant, stream, customer });
  }
}

const keyRow = z.object({ wrapped_key: z.string().nullable() });
const eventRow = z.object({ event_id: z.string(), data: z.string() });

const wrappedKeys = () =>
  owner.any(sql.type(keyRow)`SELECT wrapped_key FROM personal_data_keys ORDER BY tenant_id, key_id`);
const storedEvents = () =>
  owner.any(sql.type(eventRow)`SELECT event_id::text, data::text FROM events ORDER BY event_id`);

async function rewrapAs(current: string, previous?: string, ...args: string[]): Promise<number> {
  process.env.ADMIN_DATABASE_URL = db.adminUrl;
  process.env.PERSONAL_DATA_KEK = current;
  if (previous === undefined) delete process.env.PERSONAL_DATA_PREVIOUS_KEKS;
  else process.env.PERSONAL_DATA_PREVIOUS_KEKS = previous;
  return runCli(['personal-data', 'rewrap', '--json', ...args]);
}

const lastReport = () => JSON.parse(output.at(-1) ?? '{}') as Record<string, unknown>;

beforeAll(async () => {
  db = await createTestDatabase('rewrap');
  app = await openDatabase(db.appUrl, { maximumPoolSize: 4 });
  owner = await openDatabase(db.adminUrl, { maximumPoolSize: 2 });
  schemas = await EventSchemas.load();
});

afterAll(async () => {
  process.env = { ...saved };
  await Promise.all([app.end(), owner.end()]);
  await db.drop();
});

beforeEach(() => {
  output = [];
  errors = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void output.push(line));
  jest.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
});

afterEach(() => {
  jest.restoreAllMocks();
  // Neither a key-encryption key nor a wrapped key nor personal data is ever printed.
  const printed = [...output, ...errors].join('\n');
  for (const secret of [A, B, C].map((each) => each.split(':')[1] ?? ''))
    expect(printed).not.toContain(secret);
  expect(printed).not.toMatch(/kek1\.|@example\.com|Street/);
});

test('as the services’ role a rewrap is refused: row-level security would show it no tenant’s keys', async () => {
  await expect(rewrapDataKeys(app, encryption(B, A))).rejects.toThrow(
    'role eventline_app is held to one tenant by row-level security on personal_data_keys',
  );
});

test('keys sealed under KEK A are re-wrapped under B for every tenant, events untouched; they then open with B alone', async () => {
  const [first, second] = [tenantId(randomUUID()), tenantId(randomUUID())];
  await placeOrders(encryption(A), first, ['ada', 'grace', 'alan']);
  await placeOrders(encryption(A), second, ['edsger', 'barbara']);
  // A forgotten subject: its key is destroyed, and a rewrap has nothing of it to wrap.
  await inTenantTransaction(app, second, (tx) =>
    new SubjectKeys(app, encryption(A)).destroy(tx, second, 'barbara'),
  );
  const events = await storedEvents();
  expect((await wrappedKeys()).map((row) => row.wrapped_key?.slice(0, 7) ?? null).sort()).toEqual([
    'kek1.a.',
    'kek1.a.',
    'kek1.a.',
    'kek1.a.',
    null,
  ]);

  // Batches of 3: the owner's keyset walk crosses from one tenant to the next.
  expect(await rewrapAs(B, A, '--batch-size', '3')).toBe(0);
  expect(errors).toEqual([]);
  expect(lastReport()).toEqual({
    examined: 4,
    rewrapped: 4,
    alreadyCurrent: 0,
    changedMeanwhile: 0,
    unreadable: 0,
    unreadableReasons: [],
    kekId: 'b',
  });
  expect((await wrappedKeys()).map((row) => row.wrapped_key?.slice(0, 7) ?? null).sort()).toEqual([
    'kek1.b.',
    'kek1.b.',
    'kek1.b.',
    'kek1.b.',
    null,
  ]);
  expect(await storedEvents()).toEqual(events);

  // Idempotent: run again, everything is already under B.
  expect(await rewrapAs(B, A)).toBe(0);
  expect(lastReport()).toMatchObject({ examined: 4, rewrapped: 0, alreadyCurrent: 4 });

  // The old KEK dropped: every order still opens, the forgotten customer's as erased.
  const onlyB = new PersonalData(new SubjectKeys(app, encryption(B)), schemas);
  const store = new PostgresEventStore(app, schemas, new Upcasters());
  for (const { tenant, stream, customer } of orders) {
    const [placed] = await store.readStream(tenant, stream);
    const opened = await onlyB.open(tenant, placed?.data);
    expect(opened).toEqual(
      customer === 'barbara'
        ? {
            data: expect.objectContaining({ customerEmail: null, shippingAddress: null }),
            erased: ['/customerEmail', '/shippingAddress'],
          }
        : {
            data: expect.objectContaining({
              customerEmail: `${customer}@example.com`,
              shippingAddress: `1 ${customer} Street`,
            }),
            erased: [],
          },
    );
  }
});

test('a key under a KEK the run was not given stays as it was and fails the run; given that KEK, a second run finishes', async () => {
  // A gateway not yet restarted with the new KEK made a new subject's key under the old one.
  await placeOrders(encryption(A), tenantId(randomUUID()), ['ken']);

  expect(await rewrapAs(B)).toBe(1);
  expect(lastReport()).toMatchObject({ examined: 5, rewrapped: 0, alreadyCurrent: 4, unreadable: 1 });
  expect(errors).toEqual([
    'eventline personal-data rewrap: 1 keys stay as they were: a data key wrapped by key-encryption key "a", ' +
      'which this process does not hold (give their key-encryption key in PERSONAL_DATA_PREVIOUS_KEKS and run again)',
  ]);

  errors = [];
  expect(await rewrapAs(B, A)).toBe(0);
  expect(lastReport()).toMatchObject({ examined: 5, rewrapped: 1, alreadyCurrent: 4, unreadable: 0 });
});

test('an interrupted rewrap resumes: the next run re-wraps only what the first did not reach', async () => {
  const stop = new AbortController();
  await expect(
    rewrapDataKeys(owner, encryption(C, B), {
      batchSize: 2,
      signal: stop.signal,
      onBatch: () => stop.abort(new Error('interrupted')),
    }),
  ).rejects.toThrow('interrupted');
  expect(
    (await wrappedKeys()).filter((row) => row.wrapped_key?.startsWith('kek1.c.')).map(() => 'c'),
  ).toEqual(['c', 'c']);

  expect(await rewrapAs(C, B)).toBe(0);
  expect(lastReport()).toMatchObject({ examined: 5, rewrapped: 3, alreadyCurrent: 2 });
});

test('a malformed KEK or batch size is refused before anything runs', async () => {
  process.env.ADMIN_DATABASE_URL = db.adminUrl;
  process.env.PERSONAL_DATA_KEK = 'c:short';
  expect(await runCli(['personal-data', 'rewrap'])).toBe(1);
  expect(errors).toEqual([
    'eventline personal-data rewrap: invalid configuration: PERSONAL_DATA_KEK: expected <id>:<32 random bytes in base64>, e.g. from `openssl rand -base64 32`',
  ]);
  errors = [];
  expect(await runCli(['personal-data', 'rewrap', '--batch-size', '0'])).toBe(2);
  expect(errors).toEqual([
    'eventline personal-data rewrap: --batch-size must be a whole number from 1 to 10000, not "0"',
  ]);
});
