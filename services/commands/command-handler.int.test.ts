import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { type DatabasePool, sql } from 'slonik';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';
import { clockPast } from '../../test/support/wait.ts';
import { EventSchemas } from '../avro/index.ts';
import { deciderForAggregateType } from '../domain/contexts.ts';
import { orderDecider } from '../domain/orders/index.ts';
import { replay } from '../domain/kernel/index.ts';
import { type EventStore, PostgresEventStore, streamId, Upcasters } from '../eventstore/index.ts';
import { openDatabase } from '../platform/database/index.ts';
import {
  CommandRejectedError,
  ConcurrencyError,
  NotFoundError,
  ValidationError,
} from '../platform/errors/index.ts';
import { type TenantId, tenantId } from '../platform/tenancy/index.ts';
import { aggregateStateAt, type CommandEnvelope, CommandHandler, loadAggregate } from './index.ts';

let db: TestDatabase;
let app: DatabasePool;
let store: EventStore;
let handler: CommandHandler;

const orders = deciderForAggregateType('Order')!;
const line = { sku: 'sku-1', quantity: 2, unitPrice: 5 };
const placeOrder = { customerId: 'c-1', currency: 'EUR', items: [line] };

function newTenant(): TenantId {
  return tenantId(randomUUID());
}

function command(
  tenant: TenantId,
  type: string,
  payload: unknown,
  extra: Partial<CommandEnvelope> = {},
): CommandEnvelope {
  return {
    commandId: randomUUID(),
    type,
    payload,
    tenant,
    userId: 'user-1',
    correlationId: randomUUID(),
    ...extra,
  };
}

beforeAll(async () => {
  db = await createTestDatabase('commands');
  app = await openDatabase(db.appUrl, { maximumPoolSize: 10 });
  store = new PostgresEventStore(app, await EventSchemas.load(), new Upcasters());
  handler = new CommandHandler(store, { snapshotEvery: { Order: 3 } });
});

afterAll(async () => {
  await handler.flushSnapshots();
  await app.end();
  await db.drop();
});

test('a creating command makes a new aggregate; a later one appends to it with its metadata', async () => {
  const tenant = newTenant();
  const placed = await handler.handle(command(tenant, 'PlaceOrder', placeOrder));
  expect(placed).toMatchObject({ aggregateType: 'Order', version: 1, created: true });
  expect(placed.position).toBeGreaterThan(0);
  expect(placed.eventIds).toHaveLength(1);

  const add = command(tenant, 'AddOrderItem', line, { aggregateId: placed.aggregateId });
  const added = await handler.handle(add);
  expect(added).toMatchObject({ aggregateId: placed.aggregateId, version: 2, created: false });

  const [, event] = await store.readStream(tenant, placed.aggregateId);
  expect(event?.metadata).toEqual({
    correlationId: add.correlationId,
    causationId: add.commandId,
    userId: 'user-1',
    tenantId: tenant,
  });
});

test('an unknown command type is refused, naming the known ones', async () => {
  const error = await handler.handle(command(newTenant(), 'LaunchRocket', {})).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).issues[0]).toMatchObject({ path: '/type' });
  expect((error as ValidationError).issues[0]?.message).toContain('PlaceOrder');
});

test('an invalid payload is refused with every offending field, and nothing is appended', async () => {
  const tenant = newTenant();
  const error = await handler
    .handle(
      command(tenant, 'PlaceOrder', {
        customerId: '',
        currency: 'EURO',
        items: [{ sku: 's', quantity: 0, unitPrice: -1 }],
      }),
    )
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).issues.map((i) => i.path)).toEqual(
    expect.arrayContaining([
      '/payload/customerId',
      '/payload/currency',
      '/payload/items/0/quantity',
      '/payload/items/0/unitPrice',
    ]),
  );
  // Counted on the table itself, as its owner: readAll stops at the server-wide read horizon and
  // would not show an event a still-running transaction held back.
  const owner = await openDatabase(db.adminUrl, { maximumPoolSize: 1 });
  try {
    expect(await owner.oneFirst(sql.unsafe`SELECT count(*) FROM events WHERE tenant_id = ${tenant}`)).toBe(0);
  } finally {
    await owner.end();
  }
});

test('a refused business rule appends nothing', async () => {
  const tenant = newTenant();
  const { aggregateId } = await handler.handle(command(tenant, 'PlaceOrder', placeOrder));
  await expect(handler.handle(command(tenant, 'DeliverOrder', {}, { aggregateId }))).rejects.toBeInstanceOf(
    CommandRejectedError,
  );
  expect(await store.readStream(tenant, aggregateId)).toHaveLength(1);
});

test("a missing aggregate, another tenant's and another type's all answer not found", async () => {
  const [a, b] = [newTenant(), newTenant()];
  const { aggregateId: order } = await handler.handle(command(b, 'PlaceOrder', placeOrder));
  const { aggregateId: tenantStream } = await handler.handle(
    command(a, 'CreateTenant', { name: 'Acme', plan: 'free' }),
  );
  for (const [tenant, aggregateId] of [
    [a, randomUUID()],
    [a, order],
    [a, tenantStream],
  ] as const) {
    await expect(
      handler.handle(command(tenant, 'ShipOrder', { trackingNumber: 'T' }, { aggregateId })),
    ).rejects.toBeInstanceOf(NotFoundError);
  }
});

test('a stale expectedVersion is a conflict carrying the current version', async () => {
  const tenant = newTenant();
  const { aggregateId } = await handler.handle(command(tenant, 'PlaceOrder', placeOrder));
  await handler.handle(command(tenant, 'AddOrderItem', line, { aggregateId }));
  const error = await handler
    .handle(command(tenant, 'AddOrderItem', line, { aggregateId, expectedVersion: 1 }))
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConcurrencyError);
  expect((error as ConcurrencyError).currentVersion).toBe(2);
});

test('concurrent commands on one aggregate are retried from a fresh load until each lands', async () => {
  const tenant = newTenant();
  const patient = new CommandHandler(store, { maxAttempts: 20 });
  const { aggregateId } = await patient.handle(command(tenant, 'PlaceOrder', placeOrder));
  const results = await Promise.all(
    Array.from({ length: 8 }, () => patient.handle(command(tenant, 'AddOrderItem', line, { aggregateId }))),
  );
  expect(results.map((r) => r.version).sort((x, y) => x - y)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
});

describe('snapshots', () => {
  test('are written every N events off the critical path, and a stale state version is ignored', async () => {
    const tenant = newTenant();
    const { aggregateId } = await handler.handle(command(tenant, 'PlaceOrder', placeOrder));
    for (let i = 0; i < 6; i++) await handler.handle(command(tenant, 'AddOrderItem', line, { aggregateId }));
    await handler.flushSnapshots();

    const loaded = await store.loadStream(tenant, aggregateId, { stateVersion: orderDecider.stateVersion });
    expect(loaded.snapshot?.version).toBe(6);
    expect(loaded.events.map((e) => e.streamVersion)).toEqual([7]);

    await store.writeSnapshot(tenant, { id: aggregateId, type: 'Order' }, 7, 999, { bogus: true });
    const fresh = await loadAggregate(store, orderDecider, tenant, aggregateId);
    expect(fresh.replayed).toBe(7);
    expect(fresh.state).toMatchObject({ status: 'placed' });
  });

  test('property: snapshot plus tail equals a full replay, for random histories', async () => {
    const step = fc.oneof(
      fc.record({
        type: fc.constant('AddOrderItem'),
        payload: fc.record({
          sku: fc.constantFrom('a', 'b', 'c'),
          quantity: fc.integer({ min: 1, max: 9 }),
          unitPrice: fc.integer({ min: 0, max: 100 }),
        }),
      }),
      fc.record({
        type: fc.constant('ShipOrder'),
        payload: fc.record({ trackingNumber: fc.constantFrom('T1', 'T2') }),
      }),
      fc.record({ type: fc.constant('DeliverOrder'), payload: fc.constant({}) }),
      fc.record({
        type: fc.constant('CancelOrder'),
        payload: fc.record({ reason: fc.constantFrom('late', 'changed mind') }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 2, max: 7 }),
        async (steps, every) => {
          const tenant = newTenant();
          const h = new CommandHandler(store, { snapshotEvery: { Order: every } });
          const { aggregateId } = await h.handle(command(tenant, 'PlaceOrder', placeOrder));
          for (const s of steps) {
            await h.handle(command(tenant, s.type, s.payload, { aggregateId })).catch((error: unknown) => {
              if (!(error instanceof CommandRejectedError)) throw error;
            });
          }
          await h.flushSnapshots();
          const viaSnapshot = await loadAggregate(store, orderDecider, tenant, aggregateId);
          const everything = await store.readStream(tenant, aggregateId);
          expect(viaSnapshot.state).toEqual(replay(orders, orders.initialState, everything));
          expect(viaSnapshot.version).toBe(everything.length);
        },
      ),
      { numRuns: 25, seed: 20261122 },
    );
  });
});

test('time travel: the state as of a version and as of an instant', async () => {
  const tenant = newTenant();
  const { aggregateId } = await handler.handle(command(tenant, 'PlaceOrder', placeOrder));
  const [first] = await store.readStream(tenant, aggregateId);
  await clockPast(first!.recordedAt);
  await handler.handle(command(tenant, 'ShipOrder', { trackingNumber: 'T' }, { aggregateId }));

  const id = streamId(aggregateId);
  expect(await aggregateStateAt(store, orderDecider, tenant, id, { version: 1 })).toMatchObject({
    version: 1,
    state: { status: 'placed' },
  });
  expect(await aggregateStateAt(store, orderDecider, tenant, id, { at: first!.recordedAt })).toMatchObject({
    version: 1,
  });
  expect(await aggregateStateAt(store, orderDecider, tenant, id, { version: 2 })).toMatchObject({
    state: { status: 'shipped' },
  });
  await expect(aggregateStateAt(store, orderDecider, tenant, id, { at: new Date(0) })).rejects.toBeInstanceOf(
    NotFoundError,
  );
});

describe('event admission', () => {
  function ledger() {
    const calls: string[] = [];
    return {
      calls,
      admission: {
        reserve: async (events: number) => void calls.push(`reserve ${events}`),
        release: async (events: number) => void calls.push(`release ${events}`),
      },
    };
  }

  test('reserves the events a decision appends, and nothing for a refused command', async () => {
    const tenant = newTenant();
    const { calls, admission } = ledger();
    const placed = await handler.handle(command(tenant, 'PlaceOrder', placeOrder), admission);
    await expect(
      handler.handle(command(tenant, 'DeliverOrder', {}, { aggregateId: placed.aggregateId }), admission),
    ).rejects.toThrow(CommandRejectedError);
    expect(calls).toEqual(['reserve 1']);
  });

  test('a refused reservation appends nothing', async () => {
    const tenant = newTenant();
    const refusing = {
      reserve: async () => {
        throw new ValidationError('no room today');
      },
      release: async () => undefined,
    };
    await expect(handler.handle(command(tenant, 'PlaceOrder', placeOrder), refusing)).rejects.toThrow(
      'no room today',
    );
    const id = streamId(randomUUID());
    await expect(
      handler.handle(command(tenant, 'PlaceOrder', placeOrder, { aggregateId: id }), refusing),
    ).rejects.toThrow('no room today');
    expect((await loadAggregate(store, orders, tenant, id)).found).toBe(false);
  });

  test('events whose append fails are given back, and reserved again by the retry', async () => {
    const tenant = newTenant();
    const placed = await handler.handle(command(tenant, 'PlaceOrder', placeOrder));
    const calls: string[] = [];
    let interfered = false;
    const admission = {
      reserve: async (events: number) => {
        calls.push(`reserve ${events}`);
        if (interfered) return;
        interfered = true;
        // Another writer lands between this command's load and its append.
        await handler.handle(command(tenant, 'AddOrderItem', line, { aggregateId: placed.aggregateId }));
      },
      release: async (events: number) => void calls.push(`release ${events}`),
    };
    const added = await handler.handle(
      command(tenant, 'AddOrderItem', line, { aggregateId: placed.aggregateId }),
      admission,
    );
    expect(added.version).toBe(3);
    expect(calls).toEqual(['reserve 1', 'release 1', 'reserve 1']);
  });
});
