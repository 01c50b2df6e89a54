/**
 * Command handling on the in-memory event store: load, decide, append, retry
 * and snapshot, as given / when / then specs, with no database. (The same
 * handler on PostgreSQL: command-handler.int.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { orderDecider } from '../domain/orders/index.ts';
import { InMemoryEventStore, type StreamId, streamId } from '../eventstore/index.ts';
import {
  CommandRejectedError,
  ConcurrencyError,
  NotFoundError,
  ValidationError,
} from '../platform/errors/index.ts';
import { type TenantId, tenantId } from '../platform/tenancy/index.ts';
import { type CommandEnvelope, CommandHandler, type EventAdmission } from './index.ts';

const tenant: TenantId = tenantId('6f1c0a9e-2f4b-4c8e-9d51-0a3b7c2e8f10');
const line = { sku: 'sku-1', quantity: 2, unitPrice: 5 };
const placeOrder = { customerId: 'c-1', currency: 'EUR', items: [line] };

function command(type: string, payload: unknown, extra: Partial<CommandEnvelope> = {}): CommandEnvelope {
  return {
    commandId: randomUUID(),
    type,
    payload,
    tenant,
    userId: 'user-1',
    correlationId: 'corr-1',
    ...extra,
  };
}

let store: InMemoryEventStore;
let handler: CommandHandler;

beforeEach(() => {
  store = new InMemoryEventStore();
  handler = new CommandHandler(store, { snapshotEvery: { Order: 3 } });
});

/** Given the commands were handled, the id of the order they made. */
async function givenAnOrder(...then: readonly [string, unknown][]): Promise<StreamId> {
  const placed = await handler.handle(command('PlaceOrder', placeOrder));
  for (const [type, payload] of then)
    await handler.handle(command(type, payload, { aggregateId: placed.aggregateId }));
  return placed.aggregateId;
}

const typesIn = async (id: StreamId) => (await store.readStream(tenant, id)).map((event) => event.type);

describe('given no order', () => {
  test('when it is placed, then a new order exists at version 1, caused by the command', async () => {
    const place = command('PlaceOrder', placeOrder);
    const outcome = await handler.handle(place);
    expect(outcome).toMatchObject({ aggregateType: 'Order', version: 1, created: true, position: 1 });
    const [event] = await store.readStream(tenant, outcome.aggregateId);
    expect(event).toMatchObject({
      type: 'OrderPlaced',
      data: placeOrder,
      metadata: { correlationId: 'corr-1', causationId: place.commandId, userId: 'user-1', tenantId: tenant },
    });
  });

  test('when a command for an existing order names an unknown one, then it is not found', async () => {
    await expect(
      handler.handle(command('ShipOrder', { trackingNumber: 't' }, { aggregateId: randomUUID() })),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  test('when a command for an existing order names none, then it is invalid at /aggregateId', async () => {
    const error = await handler
      .handle(command('ShipOrder', { trackingNumber: 't' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { path: '/aggregateId', message: expect.any(String) },
    ]);
  });

  test('when the command type is unknown, then it is invalid at /type, naming the known ones', async () => {
    const error = await handler.handle(command('LaunchRocket', {})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]).toMatchObject({ path: '/type' });
    expect((error as ValidationError).issues[0]?.message).toContain('PlaceOrder');
  });

  test('when the payload is invalid, then every offending field is named and nothing is stored', async () => {
    const error = await handler
      .handle(command('PlaceOrder', { customerId: '', currency: 'EUR', items: [{ ...line, quantity: 0 }] }))
      .catch((e: unknown) => e);
    expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual([
      '/payload/customerId',
      '/payload/items/0/quantity',
    ]);
    expect((await store.readAll(tenant, { transactionId: '0', position: 0 })).events).toEqual([]);
  });
});

describe('given a placed order', () => {
  test('when an item is added, then it is appended at version 2', async () => {
    const id = await givenAnOrder();
    const outcome = await handler.handle(command('AddOrderItem', line, { aggregateId: id }));
    expect(outcome).toMatchObject({ aggregateId: id, version: 2, created: false });
    expect(await typesIn(id)).toEqual(['OrderPlaced', 'OrderItemAdded']);
  });

  test('when it is delivered before shipping, then the rule refuses it and nothing is appended', async () => {
    const id = await givenAnOrder();
    const error = await handler
      .handle(command('DeliverOrder', {}, { aggregateId: id }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandRejectedError);
    expect((error as CommandRejectedError).code).toBe('order-not-shipped');
    expect(await typesIn(id)).toEqual(['OrderPlaced']);
  });

  test('when the caller expects another version, then it is a conflict naming the current one', async () => {
    const id = await givenAnOrder();
    const error = await handler
      .handle(command('AddOrderItem', line, { aggregateId: id, expectedVersion: 3 }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect((error as ConcurrencyError).currentVersion).toBe(1);
  });

  test('when a command names it under another aggregate type, then it is not found', async () => {
    const id = await givenAnOrder();
    await expect(
      handler.handle(command('RenameTenant', { name: 'x' }, { aggregateId: id })),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('given a concurrent writer that wins the race once', () => {
  /** The next append finds the order one version further: another command got there first. */
  function raceOnce(id: StreamId): void {
    let raced = false;
    store.beforeAppend = async () => {
      if (raced) return;
      raced = true;
      store.beforeAppend = undefined;
      await handler.handle(command('AddOrderItem', { ...line, sku: 'theirs' }, { aggregateId: id }));
    };
  }

  test('when the command allows it and named no version, then it is decided again and appended after', async () => {
    const id = await givenAnOrder();
    raceOnce(id);
    const outcome = await handler.handle(command('AddOrderItem', line, { aggregateId: id }));
    expect(outcome.version).toBe(3);
    expect((await store.readStream(tenant, id)).map((event) => event.data.sku)).toEqual([
      undefined,
      'theirs',
      'sku-1',
    ]);
  });

  test('when the caller named the version it saw, then the conflict is the caller’s to resolve', async () => {
    const id = await givenAnOrder();
    raceOnce(id);
    await expect(
      handler.handle(command('AddOrderItem', line, { aggregateId: id, expectedVersion: 1 })),
    ).rejects.toBeInstanceOf(ConcurrencyError);
  });
});

describe('given an admission of events (the daily quota)', () => {
  test('when the decision is known, then its events are reserved; a refusal stores nothing', async () => {
    const asked: number[] = [];
    const refusing: EventAdmission = {
      reserve: async (events) => {
        asked.push(events);
        throw new Error('over the quota');
      },
      release: async () => {},
    };
    await expect(handler.handle(command('PlaceOrder', placeOrder), refusing)).rejects.toThrow(
      'over the quota',
    );
    expect(asked).toEqual([1]);
    expect((await store.readAll(tenant, { transactionId: '0', position: 0 })).events).toEqual([]);
  });

  test('when the append fails, then the reservation is given back', async () => {
    const id = await givenAnOrder();
    const released: number[] = [];
    const admission: EventAdmission = {
      reserve: async () => {},
      release: async (events) => void released.push(events),
    };
    await handler
      .handle(command('AddOrderItem', line, { aggregateId: id, expectedVersion: 1 }), admission)
      .catch(() => undefined);
    expect(released).toEqual([]);
    store.beforeAppend = () => {
      throw new Error('the store is away');
    };
    await expect(
      handler.handle(command('AddOrderItem', line, { aggregateId: id }), admission),
    ).rejects.toThrow('the store is away');
    expect(released).toEqual([1]);
  });
});

describe('given an order crossing the snapshot interval', () => {
  test('when its third event is appended, then a snapshot is taken and the next load starts from it', async () => {
    const id = await givenAnOrder(['AddOrderItem', line], ['AddOrderItem', line]);
    await handler.flushSnapshots();
    const loaded = await store.loadStream(tenant, id, { stateVersion: orderDecider.stateVersion });
    expect(loaded.snapshot?.version).toBe(3);
    expect(loaded.events).toEqual([]);
    const shipped = await handler.handle(command('ShipOrder', { trackingNumber: 't' }, { aggregateId: id }));
    expect(shipped.version).toBe(4);
  });
});

test('the in-memory store refuses what only a transaction can do', async () => {
  await expect(
    store.appendToStream(
      tenant,
      { id: streamId(randomUUID()), type: 'Order', context: 'orders' },
      'no-stream',
      [{ type: 'OrderDelivered', data: { deliveredAt: null } }],
      { correlationId: 'c', causationId: null },
      { alongside: async () => {} },
    ),
  ).rejects.toThrow('no transaction');
});
