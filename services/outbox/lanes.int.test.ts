/**
 * The lane count is written once, in the database (outbox_lane_count()): the
 * outbox's lane column, relay_lanes, the doorbell and the replicas' fair share
 * all follow it.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';
import { placeOrder } from '../../test/support/orders.ts';
import { waitFor } from '../../test/support/wait.ts';
import { EventSchemas } from '../avro/index.ts';
import { PostgresEventStore, Upcasters } from '../eventstore/index.ts';
import { openDatabase, postgresTarget, sql } from '../platform/database/index.ts';
import { tenantId } from '../platform/tenancy/index.ts';
import { LaneLeases, OutboxDoorbell, ringThrough } from './index.ts';

let db: TestDatabase;
let app: DatabasePool;
let relay: DatabasePool;
let admin: DatabasePool;

beforeAll(async () => {
  db = await createTestDatabase('outboxlanes');
  app = await openDatabase(db.appUrl, { maximumPoolSize: 2 });
  relay = await openDatabase(db.relayUrl, { maximumPoolSize: 2 });
  admin = await openDatabase(db.adminUrl, { maximumPoolSize: 2 });
});

afterAll(async () => {
  await Promise.all([app.end(), relay.end(), admin.end()]);
  await db.drop();
});

const laneCount = () =>
  admin.oneFirst(sql.type(z.object({ lanes: z.number() }))`SELECT outbox_lane_count() AS lanes`);

test('relay_lanes holds one row per lane, and each outbox row sits in its tenant’s lane', async () => {
  const lanes = await laneCount();
  expect(lanes).toBe(64);
  const rows = await admin.anyFirst(
    sql.type(z.object({ lane: z.number() }))`SELECT lane FROM relay_lanes ORDER BY lane`,
  );
  expect(rows).toEqual(Array.from({ length: lanes }, (_, lane) => lane));

  const store = new PostgresEventStore(app, await EventSchemas.load(), new Upcasters());
  for (let i = 0; i < 20; i++) {
    await placeOrder(store, tenantId(randomUUID()));
  }
  await store.close();
  const misplaced = await admin.oneFirst(sql.type(z.object({ count: z.number() }))`
    SELECT count(*) FROM outbox WHERE lane <> outbox_lane(tenant_id) OR lane NOT BETWEEN 0 AND ${lanes - 1}`);
  expect(misplaced).toBe(0);
});

test('the doorbell names the lane the outbox holds its tenant in', async () => {
  const tenant = tenantId(randomUUID());
  const lane = await admin.oneFirst(
    sql.type(z.object({ lane: z.number() }))`SELECT outbox_lane(${tenant}) AS lane`,
  );
  const listener = new pg.Client(postgresTarget(db.relayUrl));
  await listener.connect();
  try {
    const heard: string[] = [];
    listener.on('notification', (message) => heard.push(message.payload ?? ''));
    await listener.query('LISTEN eventline_outbox');
    const doorbell = new OutboxDoorbell(ringThrough(app));
    doorbell.ring(tenant);
    await doorbell.flush();
    await waitFor('the doorbell', async () => (heard.length > 0 ? true : undefined));
    expect(heard).toEqual([String(lane)]);
  } finally {
    await listener.end();
  }
});

test('a replica’s fair share is the lane count over the live replicas', async () => {
  const lanes = await laneCount();
  const first = new LaneLeases(relay, `first-${randomUUID()}`, 10_000);
  expect(await first.heartbeat()).toEqual({ replicas: 1, fairShare: lanes });
  const second = new LaneLeases(relay, `second-${randomUUID()}`, 10_000);
  expect(await second.heartbeat()).toEqual({ replicas: 2, fairShare: Math.ceil(lanes / 2) });
  await Promise.all([first.leave(), second.leave()]);
});
