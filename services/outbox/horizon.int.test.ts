/**
 * The relay's horizon (relay_outbox_horizon): a committed outbox row waits while
 * an older transaction that could still add a row before it runs, and only then.
 */
import { randomUUID } from 'node:crypto';
import { noop } from 'cockatiel';
import pg from 'pg';
import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';
import { placeOrder } from '../../test/support/orders.ts';
import { waitFor } from '../../test/support/wait.ts';
import { EventSchemas } from '../avro/index.ts';
import { PostgresEventStore, Upcasters } from '../eventstore/index.ts';
import { openDatabase, postgresTarget, sql } from '../platform/database/index.ts';
import { type TenantId, tenantId } from '../platform/tenancy/index.ts';
import { Outbox } from './index.ts';

let db: TestDatabase;
let app: DatabasePool;
let relay: DatabasePool;
let store: PostgresEventStore;
let outbox: Outbox;

beforeAll(async () => {
  db = await createTestDatabase('outboxhorizon');
  app = await openDatabase(db.appUrl, { maximumPoolSize: 2 });
  relay = await openDatabase(db.relayUrl, { maximumPoolSize: 2 });
  store = new PostgresEventStore(app, await EventSchemas.load(), new Upcasters());
  outbox = new Outbox(relay, noop);
});

afterAll(async () => {
  await store.close();
  await Promise.all([app.end(), relay.end()]);
  await db.drop();
});

/** A transaction of this login, begun and given its id now, left running until `end`. */
async function runningTransaction(url: string): Promise<{ end(): Promise<void> }> {
  const client = new pg.Client(postgresTarget(url));
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT pg_current_xact_id()');
  return {
    async end() {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/** One committed OrderPlaced of a new tenant, and the lane its outbox row sits in. */
async function placeOrderOfNewTenant(): Promise<{ tenant: TenantId; lane: number }> {
  const tenant = tenantId(randomUUID());
  await placeOrder(store, tenant);
  const lane = await relay.oneFirst(
    sql.type(z.object({ lane: z.number() }))`SELECT lane FROM outbox WHERE tenant_id = ${tenant}`,
  );
  return { tenant, lane };
}

const rowsOf = async (lane: number, tenant: TenantId) => {
  const read = await outbox.readLanes([lane], null, 100);
  return { ...read, entries: read.entries.filter((entry) => entry.tenantId === tenant) };
};

test('a row waits on an older running transaction of a login that can append', async () => {
  const older = await runningTransaction(db.appUrl);
  try {
    const { tenant, lane } = await placeOrderOfNewTenant();
    const read = await rowsOf(lane, tenant);
    expect(read.entries).toEqual([]);
    expect(read.blockedBy).toBeDefined();
  } finally {
    await older.end();
  }
});

test('a row does not wait on the projector’s or the relay’s running transactions', async () => {
  const projector = await runningTransaction(db.projectorUrl);
  const relayOwn = await runningTransaction(db.relayUrl);
  try {
    const { tenant, lane } = await placeOrderOfNewTenant();
    // Deadline only for a stray writer of this database (none is expected): the row goes while both still run.
    const read = await waitFor('the row handed out', async () => {
      const found = await rowsOf(lane, tenant);
      return found.entries.length === 1 ? found : undefined;
    });
    expect(read.entries[0]?.tenantId).toBe(tenant);
  } finally {
    await Promise.all([projector.end(), relayOwn.end()]);
  }
});
