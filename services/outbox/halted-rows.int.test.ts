/**
 * A halted tenant's rows stay in the outbox until it is resumed. The page hands
 * them out flagged, without their events, so the relay's cursor passes them
 * (migration 0042): a quiet relay does not read a halted backlog again on every
 * poll, only when it starts over from the oldest row.
 */
import { randomUUID } from 'node:crypto';
import { noop } from 'cockatiel';
import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';
import { placeOrders } from '../../test/support/orders.ts';
import { everyLane, readUnblocked } from '../../test/support/outbox-lanes.ts';
import { openDatabase, sql } from '../platform/database/index.ts';
import { tenantId } from '../platform/tenancy/index.ts';
import { Outbox } from './index.ts';

let db: TestDatabase;
let relay: DatabasePool;
let admin: DatabasePool;
let lanes: number[];
const halted = tenantId(randomUUID());
const going = tenantId(randomUUID());

beforeAll(async () => {
  db = await createTestDatabase('haltedrows');
  relay = await openDatabase(db.relayUrl, { maximumPoolSize: 2 });
  admin = await openDatabase(db.adminUrl, { maximumPoolSize: 2 });
  // The halted tenant's rows first, then the other's, then the halted tenant's again.
  await placeOrders(db.appUrl, [halted, halted, going, going, halted]);
  lanes = await everyLane(admin);
  await admin.query(sql.typeAlias('void')`
    INSERT INTO relay_halted_tenants (tenant_id, event_id, event_type, reason)
    SELECT ${halted}, event_id, event_type, 'a test' FROM events WHERE tenant_id = ${halted} LIMIT 1
  `);
});

afterAll(async () => {
  await Promise.all([relay.end(), admin.end()]);
  await db.drop();
});

test("a page passes a halted tenant's rows: the cursor goes beyond them, their events unread", async () => {
  const outbox = new Outbox(relay, noop);
  const page = await readUnblocked(outbox, lanes, null, 100);
  expect(page.entries.map((entry) => entry.tenantId)).toEqual([going, going]);
  expect([...page.haltedTenants]).toEqual([halted]);
  expect(page.full).toBe(false);
  const last = await admin.oneFirst(sql.type(z.object({ position: z.number() }))`
    SELECT max(global_position) AS position FROM outbox WHERE tenant_id = ${halted}
  `);
  expect(page.through?.position).toBe(last);
  const next = await readUnblocked(outbox, lanes, page.through ?? null, 100);
  expect(next.entries).toEqual([]);
  expect(next.through).toBeUndefined();
});

test("a page's limit counts the rows it hands out, not the halted tenants' rows it passes", async () => {
  const outbox = new Outbox(relay, noop);
  const page = await readUnblocked(outbox, lanes, null, 2);
  expect(page.entries.map((entry) => entry.tenantId)).toEqual([going, going]);
  expect(page.full).toBe(true);
  expect(page.through?.position).toBe(page.entries.at(-1)?.position);
  const rest = await readUnblocked(outbox, lanes, page.through ?? null, 2);
  expect(rest.entries).toEqual([]);
  expect(rest.full).toBe(false);
  expect([...rest.haltedTenants]).toEqual([halted]);
  expect(rest.through?.position).toBeGreaterThan(page.through?.position ?? Infinity);
});

test('resumed, the tenant is in the page again, and nothing is passed beyond the entries', async () => {
  await admin.query(sql.typeAlias('void')`DELETE FROM relay_halted_tenants WHERE tenant_id = ${halted}`);
  const outbox = new Outbox(relay, noop);
  const page = await readUnblocked(outbox, lanes, null, 100);
  expect(page.entries.map((entry) => entry.tenantId)).toEqual([halted, halted, going, going, halted]);
  expect(page.haltedTenants.size).toBe(0);
  expect(page.through?.position).toBe(page.entries.at(-1)?.position);
});
