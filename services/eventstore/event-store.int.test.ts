import { randomUUID } from 'node:crypto';
import avro from 'avsc';
import { type DatabasePool, sql } from 'slonik';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';
import { clockPast, waitFor } from '../../test/support/wait.ts';
import { type EventSchema, EventSchemas } from '../avro/index.ts';
import { openDatabase } from '../platform/database/index.ts';
import { ConcurrencyError, UnknownEventError, ValidationError } from '../platform/errors/index.ts';
import { type TenantId, tenantId } from '../platform/tenancy/index.ts';
import {
  type Checkpoint,
  type EventStore,
  PostgresEventStore,
  type EventMetadata,
  newEventId,
  newStreamId,
  type RecordedEvent,
  START,
  type StreamRef,
  Upcasters,
} from './index.ts';
import { readsContract } from './reads.contract.test.ts';

let db: TestDatabase;
let app: DatabasePool;
let admin: DatabasePool;
let projector: DatabasePool;
let schemas: EventSchemas;
let store: EventStore;

const placed = { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 1, unitPrice: 10 }] };
const meta: EventMetadata = { correlationId: 'corr-1', causationId: 'cmd-1', userId: 'user-1' };

function newTenant(): TenantId {
  return tenantId(randomUUID());
}

function order(): StreamRef {
  return { id: newStreamId(), type: 'Order', context: 'orders' };
}

beforeAll(async () => {
  db = await createTestDatabase('eventstore');
  app = await openDatabase(db.appUrl, { maximumPoolSize: 20 });
  admin = await openDatabase(db.adminUrl, { maximumPoolSize: 2 });
  projector = await openDatabase(db.projectorUrl, { maximumPoolSize: 2 });
  schemas = await EventSchemas.load();
  store = new PostgresEventStore(app, schemas, new Upcasters());
});

afterAll(async () => {
  await Promise.all([app.end(), admin.end(), projector.end()]);
  await db.drop();
});

describe('appendToStream', () => {
  test('stores events with versions, positions and metadata, and their outbox rows in the same transaction', async () => {
    const tenant = newTenant();
    const stream = order();
    const result = await store.appendToStream(
      tenant,
      stream,
      'no-stream',
      [
        { type: 'OrderPlaced', data: placed },
        { type: 'OrderShipped', data: { trackingNumber: 'T-1' } },
      ],
      meta,
    );
    expect(result.nextExpectedVersion).toBe(2);
    expect(result.globalPositions).toHaveLength(2);
    expect(result.globalPositions[1]).toBeGreaterThan(result.globalPositions[0]!);
    expect(result.duplicate).toBe(false);

    const events = await store.readStream(tenant, stream.id);
    expect(events.map((e) => [e.type, e.streamVersion, e.globalPosition, e.eventId])).toEqual([
      ['OrderPlaced', 1, result.globalPositions[0], result.eventIds[0]],
      ['OrderShipped', 2, result.globalPositions[1], result.eventIds[1]],
    ]);
    expect(events[0]?.metadata).toEqual({ ...meta, tenantId: tenant });
    expect(events[0]?.data).toEqual(placed);

    const outbox = await admin.anyFirst(
      sql.unsafe`SELECT global_position FROM outbox WHERE tenant_id = ${tenant} ORDER BY global_position`,
    );
    expect(outbox).toEqual(result.globalPositions);
  });

  test('50 concurrent appends with the same expectedVersion: exactly one wins, the others conflict', async () => {
    const tenant = newTenant();
    const stream = order();
    await store.appendToStream(tenant, stream, 'no-stream', [{ type: 'OrderPlaced', data: placed }], meta);

    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        store.appendToStream(
          tenant,
          stream,
          1,
          [{ type: 'OrderShipped', data: { trackingNumber: `T-${i}` } }],
          meta,
        ),
      ),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    for (const error of lost) {
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect((error as ConcurrencyError).currentVersion).toBe(2);
    }
    const versions = (await store.readStream(tenant, stream.id)).map((e) => e.streamVersion);
    expect(versions).toEqual([1, 2]);
  });

  test('concurrent creators of one stream: one creates it, the other conflicts', async () => {
    const tenant = newTenant();
    const stream = order();
    const outcomes = await Promise.allSettled(
      [1, 2].map(() =>
        store.appendToStream(tenant, stream, 'no-stream', [{ type: 'OrderPlaced', data: placed }], meta),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ConcurrencyError);
  });

  test('"any" appends whatever the version; a stale number conflicts and appends nothing', async () => {
    const tenant = newTenant();
    const stream = order();
    await store.appendToStream(tenant, stream, 'any', [{ type: 'OrderPlaced', data: placed }], meta);
    await store.appendToStream(
      tenant,
      stream,
      'any',
      [{ type: 'OrderShipped', data: { trackingNumber: 'T' } }],
      meta,
    );
    await expect(
      store.appendToStream(tenant, stream, 1, [{ type: 'OrderDelivered', data: {} }], meta),
    ).rejects.toMatchObject({ currentVersion: 2 });
    await expect(
      store.appendToStream(tenant, stream, 'no-stream', [{ type: 'OrderPlaced', data: placed }], meta),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await store.readStream(tenant, stream.id)).map((e) => e.type)).toEqual([
      'OrderPlaced',
      'OrderShipped',
    ]);
  });

  test('a retried append with the same event ids is not stored twice and answers as the first time', async () => {
    const tenant = newTenant();
    const stream = order();
    const events = [
      { eventId: newEventId(), type: 'OrderPlaced', data: placed },
      { eventId: newEventId(), type: 'OrderShipped', data: { trackingNumber: 'T' } },
    ];
    const first = await store.appendToStream(tenant, stream, 'no-stream', events, meta);
    const retry = await store.appendToStream(tenant, stream, 'no-stream', events, meta);
    expect(retry).toEqual({ ...first, duplicate: true });
    expect(await store.readStream(tenant, stream.id)).toHaveLength(2);
  });

  test('a retry with the version read after its own append landed answers as the first time', async () => {
    const tenant = newTenant();
    const stream = order();
    await store.appendToStream(tenant, stream, 'no-stream', [{ type: 'OrderPlaced', data: placed }], meta);
    const shipped = [{ eventId: newEventId(), type: 'OrderShipped', data: { trackingNumber: 'T' } }];
    const first = await store.appendToStream(tenant, stream, 1, shipped, meta);
    expect(await store.appendToStream(tenant, stream, 2, shipped, meta)).toEqual({
      ...first,
      duplicate: true,
    });
    expect(await store.appendToStream(tenant, stream, 'any', shipped, meta)).toEqual({
      ...first,
      duplicate: true,
    });
    expect(await store.readStream(tenant, stream.id)).toHaveLength(2);
  });

  test('a new stream with an event id another stream holds is refused, and neither stream changes', async () => {
    const tenant = newTenant();
    const held = { eventId: newEventId(), type: 'OrderPlaced', data: placed };
    const holder = order();
    await store.appendToStream(tenant, holder, 'no-stream', [held], meta);
    const stream = order();
    await expect(store.appendToStream(tenant, stream, 'no-stream', [held], meta)).rejects.toThrow(/unique/i);
    expect(await store.readStream(tenant, stream.id)).toEqual([]);
    // The stream was not created: a creation with fresh ids still succeeds at version 1.
    const created = await store.appendToStream(
      tenant,
      stream,
      'no-stream',
      [{ type: 'OrderPlaced', data: placed }],
      meta,
    );
    expect(created.nextExpectedVersion).toBe(1);
    expect(await store.readStream(tenant, holder.id)).toHaveLength(1);
    // Another tenant's ids are its own.
    await expect(
      store.appendToStream(newTenant(), order(), 'no-stream', [held], meta),
    ).resolves.toMatchObject({
      duplicate: false,
    });
  });

  test('an event that does not fit its Avro schema is refused, naming the field, and nothing is stored', async () => {
    const tenant = newTenant();
    const stream = order();
    const bad = { ...placed, items: [{ sku: 'sku-1', quantity: 1.5, unitPrice: 10 }] };
    const error = await store
      .appendToStream(tenant, stream, 'no-stream', [{ type: 'OrderPlaced', data: bad }], meta)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toContain('/items/0/quantity');
    expect(await store.readStream(tenant, stream.id)).toEqual([]);
  });

  test('an event type no schema declares is refused', async () => {
    await expect(
      store.appendToStream(newTenant(), order(), 'any', [{ type: 'OrderTeleported', data: {} }], meta),
    ).rejects.toBeInstanceOf(UnknownEventError);
  });
});

describe('creations under load', () => {
  test('concurrent creations share commits, and each caller still gets its own answer', async () => {
    const tenant = newTenant();
    const contested = order();
    const retried = { eventId: newEventId(), type: 'OrderPlaced', data: placed };
    const retriedStream = order();
    await store.appendToStream(tenant, retriedStream, 'no-stream', [retried], meta);

    const creations = Array.from({ length: 120 }, () => order());
    const outcomes = await Promise.allSettled([
      ...creations.map((stream) =>
        store.appendToStream(tenant, stream, 'no-stream', [{ type: 'OrderPlaced', data: placed }], meta),
      ),
      store.appendToStream(tenant, contested, 'no-stream', [{ type: 'OrderPlaced', data: placed }], meta),
      store.appendToStream(tenant, contested, 'no-stream', [{ type: 'OrderPlaced', data: placed }], meta),
      store.appendToStream(tenant, retriedStream, 'no-stream', [retried], meta),
    ]);
    const created = outcomes.slice(0, 120);
    expect(created.every((o) => o.status === 'fulfilled' && o.value.nextExpectedVersion === 1)).toBe(true);
    const contest = outcomes.slice(120, 122);
    expect(contest.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(contest.find((o) => o.status === 'rejected')).toMatchObject({
      reason: expect.any(ConcurrencyError),
    });
    expect(outcomes[122]).toMatchObject({ status: 'fulfilled', value: { duplicate: true } });

    // The horizon is the server's oldest running transaction: other suites' transactions may hold it back a while.
    const { events } = await waitFor('every created event past the horizon', async () => {
      const page = await store.readAll(tenant, START, 1000);
      return page.events.length >= 122 ? page : undefined;
    });
    expect(events).toHaveLength(122);
    expect(new Set(events.map((e) => e.transactionId)).size).toBeLessThan(122);
  });
});

describe('the events table', () => {
  test('refuses UPDATE and DELETE, to the services and to the owner alike', async () => {
    const tenant = newTenant();
    await store.appendToStream(tenant, order(), 'no-stream', [{ type: 'OrderPlaced', data: placed }], meta);
    const asService = (statement: ReturnType<typeof sql.unsafe>) =>
      app.transaction(async (tx) => {
        await tx.query(sql.unsafe`SELECT set_config('eventline.tenant_id', ${tenant}, true)`);
        await tx.query(statement);
      });
    await expect(asService(sql.unsafe`UPDATE events SET event_type = 'X'`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(asService(sql.unsafe`DELETE FROM events`)).rejects.toThrow(/permission denied/);
    await expect(admin.query(sql.unsafe`UPDATE events SET event_type = 'X'`)).rejects.toThrow(/append-only/);
    await expect(admin.query(sql.unsafe`DELETE FROM events`)).rejects.toThrow(/append-only/);
    await expect(admin.query(sql.unsafe`TRUNCATE events`)).rejects.toThrow(/append-only/);
  });
});

describe('row-level security', () => {
  test("with tenant A's context, tenant B's rows are invisible and unwritable even by id", async () => {
    const [a, b] = [newTenant(), newTenant()];
    const stream = order();
    await store.appendToStream(b, stream, 'no-stream', [{ type: 'OrderPlaced', data: placed }], meta);
    await store.writeSnapshot(b, stream, 1, 1, { status: 'placed' });

    expect(await store.readStream(a, stream.id)).toEqual([]);
    expect((await store.loadStream(a, stream.id, { stateVersion: 1 })).events).toEqual([]);
    expect((await store.readAll(a, START)).events).toEqual([]);
    expect(await store.readByCorrelationId(a, meta.correlationId)).toEqual([]);

    const asA = <T>(fn: (tx: Parameters<Parameters<DatabasePool['transaction']>[0]>[0]) => Promise<T>) =>
      app.transaction(async (tx) => {
        await tx.query(sql.unsafe`SELECT set_config('eventline.tenant_id', ${a}, true)`);
        return fn(tx);
      });
    for (const table of ['events', 'streams', 'snapshots', 'outbox']) {
      const visible = await asA((tx) =>
        tx.oneFirst(sql.unsafe`SELECT count(*) FROM ${sql.identifier([table])} WHERE tenant_id = ${b}`),
      );
      expect(visible).toBe(0);
    }
    await expect(
      asA((tx) =>
        tx.query(
          sql.unsafe`INSERT INTO streams (tenant_id, stream_id, stream_type, version) VALUES (${b}, ${randomUUID()}, 'Order', 1)`,
        ),
      ),
    ).rejects.toThrow(/row-level security/);
    const updated = await asA((tx) =>
      tx.query(
        sql.unsafe`UPDATE streams SET version = 99 WHERE tenant_id = ${b} AND stream_id = ${stream.id}`,
      ),
    );
    expect(updated.rowCount).toBe(0);

    // The same stream id under tenant A is another stream altogether.
    const own = await store.appendToStream(
      a,
      stream,
      'no-stream',
      [{ type: 'OrderPlaced', data: placed }],
      meta,
    );
    expect(own.nextExpectedVersion).toBe(1);
    expect(await store.readStream(b, stream.id)).toHaveLength(1);
  });

  test('without a tenant setting, the services see no row at all', async () => {
    await store.appendToStream(
      newTenant(),
      order(),
      'no-stream',
      [{ type: 'OrderPlaced', data: placed }],
      meta,
    );
    expect(await app.oneFirst(sql.unsafe`SELECT count(*) FROM events`)).toBe(0);
  });
});

describe('readAll', () => {
  test('a catch-up reader running beside many writers sees every committed event exactly once, in stream order', async () => {
    const tenant = newTenant();
    const streams = Array.from({ length: 8 }, () => order());
    const perStream = 25;
    let writing = true;

    const writers = streams.map(async (stream) => {
      await store.appendToStream(tenant, stream, 'no-stream', [{ type: 'OrderPlaced', data: placed }], meta);
      for (let v = 1; v < perStream; v++) {
        await store.appendToStream(
          tenant,
          stream,
          v,
          [{ type: 'OrderItemAdded', data: placed.items[0]! }],
          meta,
        );
      }
    });
    const seen: RecordedEvent[] = [];
    // Where a page repeated an event, and from which checkpoint: what to look at if this ever fails.
    const repeated: Array<{ after: Checkpoint; event: [string, number] }> = [];
    let checkpoint: Checkpoint = START;
    const total = streams.length * perStream;
    const readPage = async () => {
      const page = await store.readAll(tenant, checkpoint, 37);
      const ids = new Set(seen.map((e) => e.eventId));
      for (const event of page.events.filter((e) => ids.has(e.eventId))) {
        repeated.push({ after: checkpoint, event: [event.transactionId, event.globalPosition] });
      }
      seen.push(...page.events);
      checkpoint = page.checkpoint;
    };
    const reader = (async () => {
      while (writing) await readPage();
    })();
    await Promise.all(writers);
    writing = false;
    await reader;
    // The horizon is the server's oldest running transaction: other suites' transactions may hold it back a while.
    await waitFor('every committed event read', async () => {
      await readPage();
      return seen.length >= total ? true : undefined;
    });

    expect(repeated).toEqual([]);
    expect(seen).toHaveLength(streams.length * perStream);
    expect(new Set(seen.map((e) => e.eventId)).size).toBe(seen.length);
    for (const stream of streams) {
      const versions = seen.filter((e) => e.streamId === stream.id).map((e) => e.streamVersion);
      expect(versions).toEqual(Array.from({ length: perStream }, (_, i) => i + 1));
    }
  });

  test('an event whose position is smaller but whose transaction commits later is not skipped', async () => {
    const tenant = newTenant();
    const early = order();
    const late = order();
    // Transaction L takes its position first but commits after transaction E.
    const blocker = await openDatabase(db.appUrl, { maximumPoolSize: 1 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let lateStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      lateStarted = resolve;
    });
    const lateAppend = blocker.transaction(async (tx) => {
      await tx.query(sql.unsafe`
        SELECT * FROM append_to_stream(${tenant}, ${late.id}, 'Order', 'orders', 0,
          ${JSON.stringify([{ event_id: randomUUID(), event_type: 'OrderPlaced', schema_version: 1, data: placed, metadata: meta }])}::jsonb)`);
      lateStarted();
      await held;
    });
    await started;
    await store.appendToStream(tenant, early, 'no-stream', [{ type: 'OrderPlaced', data: placed }], meta);

    const before = await store.readAll(tenant, START);
    expect(before.events).toEqual([]); // the early commit waits behind the older, open transaction
    release();
    await lateAppend;
    await blocker.end();

    // The horizon is the server's oldest running transaction, in any database: wait for it to pass.
    const after = await waitFor('both events past the horizon', async () => {
      const page = await store.readAll(tenant, before.checkpoint);
      return page.events.length === 2 ? page : undefined;
    });
    expect(after.events.map((e) => e.streamId).sort()).toEqual([early.id, late.id].sort());
  });
  test('transaction ids are compared as numbers, so 1000 comes after 999', async () => {
    const tenant = newTenant();
    const stream = order();
    // The owner writes the ids by hand: a fresh server crosses 999 -> 1000 early, a busy one later.
    for (const [version, transactionId] of [
      [1, '999'],
      [2, '1000'],
    ] as const) {
      await admin.query(sql.unsafe`
        INSERT INTO events (tenant_id, stream_id, stream_type, stream_version, event_id, event_type,
                            schema_version, data, metadata, correlation_id, occurred_at, transaction_id)
        VALUES (${tenant}, ${stream.id}, 'Order', ${version}, ${randomUUID()}, 'OrderPlaced', 1,
                ${JSON.stringify(placed)}::jsonb, ${JSON.stringify(meta)}::jsonb, ${meta.correlationId},
                now(), ${transactionId}::xid8)`);
    }
    const first = await store.readAll(tenant, START, 1);
    const second = await store.readAll(tenant, first.checkpoint, 1);
    expect([...first.events, ...second.events].map((e) => e.transactionId)).toEqual(['999', '1000']);
    expect((await store.readByCorrelationId(tenant, meta.correlationId)).map((e) => e.transactionId)).toEqual(
      ['999', '1000'],
    );
  });
});

describe('position and replay reads', () => {
  // The reads of every tenant need a role that sees them all: the projector's here.
  readsContract(() => ({ store, everyTenant: new PostgresEventStore(projector, schemas, new Upcasters()) }));
});

describe('time travel and correlation', () => {
  test('readStreamUntil returns the history up to a version and up to an instant', async () => {
    const tenant = newTenant();
    const stream = order();
    await store.appendToStream(tenant, stream, 'no-stream', [{ type: 'OrderPlaced', data: placed }], meta);
    const [first] = await store.readStream(tenant, stream.id);
    await clockPast(first!.recordedAt);
    await store.appendToStream(
      tenant,
      stream,
      1,
      [{ type: 'OrderShipped', data: { trackingNumber: 'T' } }],
      meta,
    );

    expect((await store.readStreamUntil(tenant, stream.id, { version: 1 })).map((e) => e.type)).toEqual([
      'OrderPlaced',
    ]);
    expect(
      (await store.readStreamUntil(tenant, stream.id, { at: first!.recordedAt })).map((e) => e.type),
    ).toEqual(['OrderPlaced']);
    expect(await store.readStreamUntil(tenant, stream.id, { at: new Date(0) })).toEqual([]);
    expect(await store.readStreamUntil(tenant, stream.id, { version: 2 })).toHaveLength(2);
  });

  test('readByCorrelationId returns every event of the correlation in order, with causation ids', async () => {
    const tenant = newTenant();
    const correlationId = randomUUID();
    const [s1, s2] = [order(), order()];
    await store.appendToStream(tenant, s1, 'no-stream', [{ type: 'OrderPlaced', data: placed }], {
      correlationId,
      causationId: 'c1',
    });
    await store.appendToStream(tenant, s2, 'no-stream', [{ type: 'OrderPlaced', data: placed }], {
      correlationId,
      causationId: 'c2',
    });
    const events = await store.readByCorrelationId(tenant, correlationId);
    expect(events.map((e) => [e.streamId, e.metadata.causationId])).toEqual([
      [s1.id, 'c1'],
      [s2.id, 'c2'],
    ]);
  });
});

describe('upcasting', () => {
  function schema(version: number, fields: object[]): EventSchema {
    const definition = JSON.stringify({
      type: 'record',
      name: 'Widget',
      namespace: 'eventline.test',
      fields,
    });
    return {
      context: 'test',
      eventType: 'Widget',
      version,
      fullName: 'eventline.test.Widget',
      definition,
      type: avro.Type.forSchema(JSON.parse(definition)),
      personalFields: [],
    };
  }

  const v1 = schema(1, [{ name: 'name', type: 'string' }]);
  const v2 = schema(2, [{ name: 'title', type: 'string' }]);
  const v3 = schema(3, [
    { name: 'title', type: 'string' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ]);

  test('stored v1 events are read as v3 through the chain v1→v2→v3', async () => {
    const upcasters = new Upcasters()
      .register('Widget', 1, ({ name, ...rest }) => ({ ...rest, title: name }))
      .register('Widget', 2, (data) => ({ ...data, tags: [] }));
    const writer = new PostgresEventStore(app, new EventSchemas([v1]), new Upcasters());
    const reader = new PostgresEventStore(app, new EventSchemas([v1, v2, v3]), upcasters);
    const tenant = newTenant();
    const stream = { id: newStreamId(), type: 'Widget', context: 'test' };
    await writer.appendToStream(
      tenant,
      stream,
      'no-stream',
      [{ type: 'Widget', data: { name: 'gear' } }],
      meta,
    );

    const [event] = await reader.readStream(tenant, stream.id);
    expect(event).toMatchObject({ schemaVersion: 3, data: { title: 'gear', tags: [] } });
  });

  test('a stored version with no path to the current one is an error, not a silent skip', async () => {
    const writer = new PostgresEventStore(app, new EventSchemas([v1]), new Upcasters());
    const reader = new PostgresEventStore(
      app,
      new EventSchemas([v1, v2, v3]),
      new Upcasters().register('Widget', 2, (d) => d),
    );
    const tenant = newTenant();
    const stream = { id: newStreamId(), type: 'Widget', context: 'test' };
    await writer.appendToStream(
      tenant,
      stream,
      'no-stream',
      [{ type: 'Widget', data: { name: 'gear' } }],
      meta,
    );
    await expect(reader.readStream(tenant, stream.id)).rejects.toBeInstanceOf(UnknownEventError);
  });
});
