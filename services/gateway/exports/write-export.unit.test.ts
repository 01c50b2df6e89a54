/**
 * The export loop on the in-memory event store, with the real sealing and
 * opening of personal data under keys kept in memory.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { EventSchemas } from '../../avro/index.ts';
import { InMemoryEventStore, newStreamId, START } from '../../eventstore/index.ts';
import { type TenantId, tenantId } from '../../platform/tenancy/index.ts';
import { PersonalData, type SealingKey, sealedPrefix, type SubjectKeyring } from '../../privacy/index.ts';
import type { ReadModelRow } from '../../readmodels/index.ts';
import { ClientGoneError } from '../http/ndjson-response.ts';
import { type LineSink, writeExport } from './write-export.ts';

/** Keys in memory; forgetting a subject drops its keys. */
class MemoryKeyring implements SubjectKeyring {
  readonly keys = new Map<string, SealingKey>();
  async sealingKey(tenant: TenantId, subject: string): Promise<SealingKey> {
    const found = [...this.keys.values()].find((each) => each.subject === subject);
    if (found) return found;
    const made = {
      tenantId: tenant,
      keyId: randomBytes(6).toString('base64url'),
      key: randomBytes(32),
      subject,
      wrapped: '',
    };
    this.keys.set(made.keyId, made);
    return made;
  }
  async keysById(_tenant: TenantId, ids: readonly string[]) {
    return new Map(
      ids.flatMap((id) => (this.keys.has(id) ? [[id, this.keys.get(id) as SealingKey] as const] : [])),
    );
  }
  idsOf(subject: string): string[] {
    return [...this.keys.values()].filter((each) => each.subject === subject).map((each) => each.keyId);
  }
}

/** Collects the lines; `goneAfter` writes, the client leaves. */
class Collected implements LineSink {
  readonly lines: Record<string, unknown>[] = [];
  writes = 0;
  constructor(private readonly goneAfter = Infinity) {}
  async write(lines: readonly object[]): Promise<void> {
    if (this.writes++ >= this.goneAfter) throw new ClientGoneError();
    this.lines.push(...(lines as Record<string, unknown>[]));
  }
  async pause(): Promise<void> {}
  kinds(): unknown[] {
    return this.lines.map((line) => line.kind);
  }
}

let keyring: MemoryKeyring;
let personalData: PersonalData;
let store: InMemoryEventStore;
const tenant = tenantId(randomUUID());
const meta = { correlationId: 'c', causationId: null };

function rowsOf(rows: readonly ReadModelRow[]) {
  return {
    async eachPage(
      _tenant: TenantId,
      onPage: (page: readonly ReadModelRow[]) => Promise<void>,
      options: { holding?: readonly string[] } = {},
    ) {
      const kept = rows.filter(
        (row) => !options.holding || options.holding.some((text) => JSON.stringify(row.row).includes(text)),
      );
      if (kept.length > 0) await onPage(kept);
      return kept.length;
    },
  };
}

async function placeOrders(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const customer = i % 2 === 0 ? 'ann' : 'bob';
    const { data } = await personalData.seal(tenant, 'OrderPlaced', 1, {
      customerId: customer,
      customerEmail: `${customer}-${i}@example.com`,
      shippingAddress: null,
      currency: 'EUR',
      items: [{ sku: 's', quantity: 1, unitPrice: 1 }],
    });
    await store.appendToStream(
      tenant,
      { id: newStreamId(), type: 'Order', context: 'orders' },
      'no-stream',
      [{ type: 'OrderPlaced', data }],
      meta,
    );
  }
}

beforeEach(async () => {
  keyring = new MemoryKeyring();
  personalData = new PersonalData(keyring, await EventSchemas.load());
  store = new InMemoryEventStore();
});

test('every event in commit order, opened, then the rows, then an end line counting them', async () => {
  await placeOrders(3);
  const sealedRow = {
    readModel: 'orders',
    table: 'orders',
    row: { customer_email: (await store.readAll(tenant, START)).events[0]?.data.customerEmail },
  };
  const out = new Collected();
  const upTo = await store.lastCommitted(tenant);
  await writeExport({ store, rows: rowsOf([sealedRow]), personalData }, { tenant, after: START, upTo }, out);
  expect(out.kinds()).toEqual(['event', 'event', 'event', 'row', 'end']);
  expect(out.lines.slice(0, 3).map((line) => (line.data as Record<string, unknown>).customerEmail)).toEqual([
    'ann-0@example.com',
    'bob-1@example.com',
    'ann-2@example.com',
  ]);
  expect(out.lines[3]).toEqual({
    ...sealedRow,
    row: { customer_email: 'ann-0@example.com' },
    kind: 'row',
    erased: [],
  });
  expect(out.lines[4]).toEqual({ kind: 'end', events: 3, rows: 1, cursor: out.lines[2]?.cursor });
});

test('a subject’s export keeps what holds its sealed values; destroyed keys read null and are listed', async () => {
  await placeOrders(4);
  const holding = keyring.idsOf('bob').map(sealedPrefix);
  for (const id of keyring.idsOf('bob')) keyring.keys.delete(id);
  const out = new Collected();
  await writeExport(
    { store, rows: rowsOf([]), personalData },
    { tenant, holding, after: START, upTo: await store.lastCommitted(tenant) },
    out,
  );
  expect(out.lines.filter((line) => line.kind === 'event').map((line) => [line.data, line.erased])).toEqual([
    [expect.objectContaining({ customerId: 'bob', customerEmail: null }), ['/data/customerEmail']],
    [expect.objectContaining({ customerId: 'bob', customerEmail: null }), ['/data/customerEmail']],
  ]);
  expect(out.lines.at(-1)).toMatchObject({ kind: 'end', events: 2, rows: 0 });

  const nobody = new Collected();
  await writeExport(
    { store, rows: rowsOf([]), personalData },
    { tenant, holding: [], after: START, upTo: await store.lastCommitted(tenant) },
    nobody,
  );
  expect(nobody.lines).toEqual([{ kind: 'end', events: 0, rows: 0, cursor: null }]);
});

test('stops reading once the client has gone', async () => {
  await placeOrders(2500);
  const reads = jest.spyOn(store, 'readAll');
  const out = new Collected(1);
  await expect(
    writeExport(
      { store, rows: rowsOf([]), personalData },
      { tenant, after: START, upTo: await store.lastCommitted(tenant) },
      out,
    ),
  ).rejects.toBeInstanceOf(ClientGoneError);
  // The first page was written, the second refused; the one read ahead meanwhile is the last read.
  expect(reads).toHaveBeenCalledTimes(3);
  expect(out.lines).toHaveLength(500);
});
