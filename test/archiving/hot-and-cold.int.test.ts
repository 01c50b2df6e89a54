import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { clockPast, waitFor } from '../support/wait.ts';
import { EventSchemas } from '../../services/avro/index.ts';
import { runCli } from '../../services/cli/run-cli.ts';
import { inTenantTransaction, openDatabase } from '../../services/platform/database/index.ts';
import { ConcurrencyError } from '../../services/platform/errors/index.ts';
import { type TenantId, tenantId } from '../../services/platform/tenancy/index.ts';
import { projectionNamed, rebuildTenant } from '../../services/readmodels/index.ts';
import {
  archiveIdleStreams,
  type EventMetadata,
  type EventStore,
  newEventId,
  newStreamId,
  PostgresEventStore,
  type ReplayScope,
  START,
  type StreamRef,
  unarchiveStream,
  Upcasters,
} from '../../services/eventstore/index.ts';

let db: TestDatabase;
let app: DatabasePool;
let admin: DatabasePool;
let projector: DatabasePool;
let store: EventStore;
let everyTenant: EventStore;
let asOwner: EventStore;

const placed = { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 1, unitPrice: 10 }] };
const meta: EventMetadata = { correlationId: 'corr-archive', causationId: 'cmd-1', userId: 'user-1' };

function newTenant(): TenantId {
  return tenantId(randomUUID());
}

function order(): StreamRef {
  return { id: newStreamId(), type: 'Order', context: 'orders' };
}

const partitionRow = z.object({ partition: z.string(), events: z.number().int() });

/** Where the stream's events sit: { events_hot: n, events_cold: m }. */
async function partitionsOf(stream: StreamRef): Promise<Record<string, number>> {
  const rows = await admin.any(sql.type(partitionRow)`
    SELECT tableoid::regclass::text AS partition, count(*)::int AS events FROM events
     WHERE stream_id = ${stream.id} GROUP BY 1`);
  return Object.fromEntries(rows.map((row) => [row.partition, row.events]));
}

/** A tenant with one closed order of three events (an instant between the first and the rest). */
async function closedOrder(): Promise<{ tenant: TenantId; stream: StreamRef; between: Date }> {
  const tenant = newTenant();
  const stream = order();
  await store.appendToStream(tenant, stream, 'no-stream', [{ type: 'OrderPlaced', data: placed }], meta);
  const between = new Date();
  await clockPast(between);
  await store.appendToStream(
    tenant,
    stream,
    1,
    [
      { type: 'OrderItemAdded', data: placed.items[0]! },
      { type: 'OrderShipped', data: { trackingNumber: 'T-1' } },
    ],
    meta,
  );
  await store.writeSnapshot(tenant, stream, 2, 1, { status: 'paid' });
  return { tenant, stream, between };
}

/** Everything the read paths answer about the tenant and its stream. */
async function readings(tenant: TenantId, stream: StreamRef, between: Date) {
  const upTo = await store.lastCommitted(tenant);
  const scope: ReplayScope = {
    ranges: new Map([[tenant, { after: START, upTo }]]),
    types: [],
    except: new Set(),
  };
  const history = await store.readStream(tenant, stream.id);
  return {
    load: await store.loadStream(tenant, stream.id),
    loadFromSnapshot: await store.loadStream(tenant, stream.id, { stateVersion: 1 }),
    loadUntil: await store.loadStream(tenant, stream.id, { untilVersion: 2 }),
    history,
    backwards: await store.readStream(tenant, stream.id, { direction: 'backward' }),
    timeTravelByVersion: await store.readStreamUntil(tenant, stream.id, { version: 1 }),
    timeTravelByInstant: await store.readStreamUntil(tenant, stream.id, { at: between }),
    catchUp: await store.readAll(tenant, START),
    correlation: await store.readByCorrelationId(tenant, meta.correlationId),
    replay: await everyTenant.readReplay(scope, START, upTo, 100),
    replayCount: await everyTenant.countReplay(scope),
    byId: await everyTenant.readEventsById(history.map((event) => event.eventId)),
    checkpoints: [...(await everyTenant.checkpointsOf(history.map((event) => event.globalPosition)))],
  };
}

beforeAll(async () => {
  db = await createTestDatabase('archive');
  app = await openDatabase(db.appUrl, { maximumPoolSize: 4 });
  admin = await openDatabase(db.adminUrl, { maximumPoolSize: 2 });
  projector = await openDatabase(db.projectorUrl, { maximumPoolSize: 2 });
  const schemas = await EventSchemas.load();
  store = new PostgresEventStore(app, schemas, new Upcasters());
  everyTenant = new PostgresEventStore(projector, schemas, new Upcasters());
  asOwner = new PostgresEventStore(admin, schemas, new Upcasters());
});

afterAll(async () => {
  await store.close();
  await everyTenant.close();
  await asOwner.close();
  await Promise.all([app.end(), admin.end(), projector.end()]);
  await db.drop();
});

test('archiving a closed stream moves its events to events_cold, and every read answers as before', async () => {
  const { tenant, stream, between } = await closedOrder();
  // The catch-up read sees only transactions older than every one running on the server, another
  // test's in another database too: the readings compared must both come after it sees all three.
  await waitFor('the catch-up read to see the stream', async () =>
    (await store.readAll(tenant, START)).events.length === 3 ? true : undefined,
  );
  const before = await readings(tenant, stream, between);
  expect(before.history).toHaveLength(3);
  expect(before.timeTravelByInstant).toHaveLength(1);

  expect(await archiveIdleStreams(admin, { idleSeconds: 3600, tenant })).toEqual({ streams: 0, events: 0 });
  expect(await archiveIdleStreams(admin, { idleSeconds: 0, tenant, dryRun: true })).toEqual({
    streams: 1,
    events: 3,
  });
  expect(await partitionsOf(stream)).toEqual({ events_hot: 3 });

  expect(await archiveIdleStreams(admin, { idleSeconds: 0, tenant })).toEqual({ streams: 1, events: 3 });
  expect(await partitionsOf(stream)).toEqual({ events_cold: 3 });
  expect(await readings(tenant, stream, between)).toEqual(before);
  // Archived already: a second run finds nothing.
  expect(await archiveIdleStreams(admin, { idleSeconds: 0, tenant })).toEqual({ streams: 0, events: 0 });

  expect(await unarchiveStream(admin, tenant, stream.id)).toBe(3);
  expect(await partitionsOf(stream)).toEqual({ events_hot: 3 });
  expect(await readings(tenant, stream, between)).toEqual(before);
  expect(await unarchiveStream(admin, tenant, stream.id)).toBeNull();
});

test("a tenant's rebuild of the orders read model from archived events gives the same rows", async () => {
  const { tenant, stream } = await closedOrder();
  await store.appendToStream(tenant, order(), 'no-stream', [{ type: 'OrderPlaced', data: placed }], meta);
  const orders = projectionNamed('orders');
  const rows = async () => {
    const upTo = await store.lastCommitted(tenant);
    await admin.transaction((tx) => rebuildTenant(tx, orders, tenant, asOwner, { raiseWatermarkTo: upTo }));
    return admin.any(sql.type(z.object({ row: z.unknown() }))`
      SELECT to_jsonb(o) AS row FROM readmodels.orders o WHERE tenant_id = ${tenant} ORDER BY order_id`);
  };
  const before = await rows();
  expect(before).toHaveLength(2);
  await admin.query(sql.unsafe`
    UPDATE streams SET updated_at = now() - interval '2 days' WHERE stream_id = ${stream.id}`);
  expect(await archiveIdleStreams(admin, { idleSeconds: 86_400, tenant })).toEqual({ streams: 1, events: 3 });
  expect(await rows()).toEqual(before);
});

test("another tenant's credentials see none of an archived stream, and no service role reads a partition", async () => {
  const { tenant, stream } = await closedOrder();
  await archiveIdleStreams(admin, { idleSeconds: 0, tenant });
  const other = newTenant();
  expect(await store.readStream(other, stream.id)).toEqual([]);
  expect(await store.readByCorrelationId(other, meta.correlationId)).toEqual([]);
  const seen = await inTenantTransaction(app, other, (tx) =>
    tx.oneFirst(sql.type(z.object({ n: z.number().int() }))`
      SELECT count(*)::int AS n FROM events WHERE stream_id = ${stream.id}`),
  );
  expect(seen).toBe(0);
  for (const pool of [app, projector]) {
    await expect(pool.query(sql.unsafe`SELECT count(*) FROM events_cold`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(pool.query(sql.unsafe`SELECT count(*) FROM events_hot`)).rejects.toThrow(
      /permission denied/,
    );
  }
  expect(await store.readStream(tenant, stream.id)).toHaveLength(3);
});

test('an append to an archived stream brings its events back first; a stale one changes nothing', async () => {
  const { tenant, stream } = await closedOrder();
  const retried = { eventId: newEventId(), type: 'OrderDelivered', data: {} };
  await archiveIdleStreams(admin, { idleSeconds: 0, tenant });

  await expect(
    store.appendToStream(tenant, stream, 2, [{ type: 'OrderDelivered', data: {} }], meta),
  ).rejects.toBeInstanceOf(ConcurrencyError);
  expect(await partitionsOf(stream)).toEqual({ events_cold: 3 });

  const appended = await store.appendToStream(tenant, stream, 3, [retried], meta);
  expect(appended.nextExpectedVersion).toBe(4);
  expect(await partitionsOf(stream)).toEqual({ events_hot: 4 });
  expect((await store.readStream(tenant, stream.id)).map((event) => event.streamVersion)).toEqual([
    1, 2, 3, 4,
  ]);
  expect(await unarchiveStream(admin, tenant, stream.id)).toBeNull();

  // Archived again, a retry of that append is answered from events_cold as the first time.
  await archiveIdleStreams(admin, { idleSeconds: 0, tenant });
  expect(await store.appendToStream(tenant, stream, 3, [retried], meta)).toEqual({
    ...appended,
    duplicate: true,
  });
  expect(await partitionsOf(stream)).toEqual({ events_cold: 4 });
});

test('a new stream with an event id an archived stream holds is refused, and nothing is stored', async () => {
  const { tenant, stream } = await closedOrder();
  const [first] = await store.readStream(tenant, stream.id);
  await archiveIdleStreams(admin, { idleSeconds: 0, tenant });
  const fresh = order();
  await expect(
    store.appendToStream(
      tenant,
      fresh,
      'no-stream',
      [{ eventId: first!.eventId, type: 'OrderPlaced', data: placed }],
      meta,
    ),
  ).rejects.toThrow(/already used by other events/);
  expect(await partitionsOf(fresh)).toEqual({});
  expect(await partitionsOf(stream)).toEqual({ events_cold: 3 });
  const created = await store.appendToStream(
    tenant,
    fresh,
    'no-stream',
    [{ type: 'OrderPlaced', data: placed }],
    meta,
  );
  expect(created.nextExpectedVersion).toBe(1);
});

test('events stay append-only: the owner can change an event neither in place nor while moving it', async () => {
  const { tenant, stream } = await closedOrder();
  await expect(
    admin.query(sql.unsafe`UPDATE events SET data = '{}' WHERE stream_id = ${stream.id}`),
  ).rejects.toThrow(/append-only/);
  await expect(
    admin.transaction(async (tx) => {
      await tx.query(
        sql.unsafe`SELECT set_config('eventline.moving_stream', ${`${tenant}/${stream.id}`}, true)`,
      );
      await tx.query(
        sql.unsafe`UPDATE events SET data = '{}', archived = true WHERE stream_id = ${stream.id}`,
      );
    }),
  ).rejects.toThrow(/append-only/);
  await expect(
    app.query(sql.unsafe`SELECT move_stream_events(${tenant}, ${stream.id}, true)`),
  ).rejects.toThrow(/permission denied/);
  expect(await partitionsOf(stream)).toEqual({ events_hot: 3 });
});

describe('eventline events', () => {
  const stackAdminUrl = process.env.ADMIN_DATABASE_URL;
  let output: string[];
  let errors: string[];

  beforeEach(() => {
    output = [];
    errors = [];
    jest.spyOn(console, 'log').mockImplementation((line: string) => void output.push(line));
    jest.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    process.env.ADMIN_DATABASE_URL = db.adminUrl;
  });

  afterEach(() => {
    jest.restoreAllMocks();
    // The test support's own connections (dropping the database) go to the stack's.
    process.env.ADMIN_DATABASE_URL = stackAdminUrl;
  });

  test('archive and unarchive a tenant’s closed streams', async () => {
    const { tenant, stream } = await closedOrder();
    expect(await runCli(['events', 'archive', '--idle-for', '0s', '--tenant', tenant, '--dry-run'])).toBe(0);
    expect(await runCli(['events', 'archive', '--idle-for', '0s', '--tenant', tenant])).toBe(0);
    expect(await runCli(['events', 'unarchive', tenant, stream.id])).toBe(0);
    expect(output).toEqual([
      'would archive 1 streams, 3 events',
      'archived 1 streams, 3 events',
      `unarchived stream ${stream.id}: 3 events`,
    ]);
    expect(await runCli(['events', 'unarchive', tenant, stream.id])).toBe(1);
    expect(errors).toEqual([
      `eventline events unarchive: stream ${stream.id} of tenant ${tenant} is not archived`,
    ]);
  });

  test.each([
    [['events', 'archive'], /--idle-for must be a duration/],
    [['events', 'archive', '--idle-for', '3 weeks'], /--idle-for must be a duration/],
    [['events', 'archive', '--idle-for', '1d', '--tenant', 'acme'], /<tenant-id> must be a tenant's UUID/],
    [['events', 'unarchive', randomUUID(), 'order-1'], /<stream-id> must be a stream's UUID/],
    [['events', 'unarchive', randomUUID()], /<stream-id> is required/],
  ])('%j is a usage error: one line on stderr, exit 2', async (argv, message) => {
    expect(await runCli(argv)).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });
});
