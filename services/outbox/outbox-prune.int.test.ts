/**
 * The relay deletes the rows Kafka acknowledged in the round trip of its next
 * read (relay_outbox_prune_and_page, migration 0035): the page is read after
 * the delete, so it never hands out a row the same call removed, and a failed
 * call removes none.
 */
import { randomUUID } from 'node:crypto';
import { noop } from 'cockatiel';
import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';
import { placeOrders } from '../../test/support/orders.ts';
import { everyLane, readUnblocked } from '../../test/support/outbox-lanes.ts';
import { scansOfRepeatedCalls } from '../../test/support/table-scans.ts';
import { openDatabase, sql } from '../platform/database/index.ts';
import { tenantId } from '../platform/tenancy/index.ts';
import { Outbox } from './index.ts';

let db: TestDatabase;
let relay: DatabasePool;
let admin: DatabasePool;
let lanes: number[];

beforeAll(async () => {
  db = await createTestDatabase('outboxprune');
  relay = await openDatabase(db.relayUrl, { maximumPoolSize: 2 });
  admin = await openDatabase(db.adminUrl, { maximumPoolSize: 2 });
  await placeOrders(
    db.appUrl,
    Array.from({ length: 6 }, () => tenantId(randomUUID())),
  );
  lanes = await everyLane(admin);
});

afterAll(async () => {
  await Promise.all([relay.end(), admin.end()]);
  await db.drop();
});

const outboxPositions = () =>
  admin.anyFirst(
    sql.type(z.object({ global_position: z.number() }))`SELECT global_position FROM outbox ORDER BY 1`,
  );

test('a read deletes the acknowledged rows first and never hands them out, from the oldest row too', async () => {
  const outbox = new Outbox(relay, noop);
  const all = await readUnblocked(outbox, lanes, null, 100);
  expect(all.entries).toHaveLength(6);
  const acknowledged = all.entries.slice(0, 3).map((entry) => entry.position);

  // From the oldest row, as after a start over: the rows the same call deletes would be first.
  const after = await readUnblocked(outbox, lanes, null, 100, acknowledged);

  expect(after.entries.map((entry) => entry.position)).toEqual(
    all.entries.slice(3).map((entry) => entry.position),
  );
  expect(await outboxPositions()).toEqual(all.entries.slice(3).map((entry) => entry.position));
});

test('a read that fails deletes nothing', async () => {
  const outbox = new Outbox(relay, noop);
  const before = await outboxPositions();
  const [first] = before;
  expect(first).toBeDefined();
  // A negative limit fails the page's query, which runs after the delete in the same call.
  await expect(outbox.readLanes(lanes, null, -1, [first ?? 0])).rejects.toThrow(/LIMIT/);
  expect(await outboxPositions()).toEqual(before);
});

test('with no lane held, the acknowledged rows are still deleted', async () => {
  const outbox = new Outbox(relay, noop);
  const [first, ...rest] = await outboxPositions();
  const read = await outbox.readLanes([], null, 100, [first ?? 0]);
  expect(read.entries).toEqual([]);
  expect(await outboxPositions()).toEqual(rest);
});

test('the delete and the page read the outbox by index, even where scanning its heap looks cheaper', async () => {
  // A few rows in one heap page, and statistics that say so: to the planner a sequential scan is
  // the cheapest way to any of them, as it is when the statistics are from a nearly empty outbox
  // while its heap holds a minute of dead rows, which that scan would read (migration 0039).
  await admin.query(sql.typeAlias('void')`ANALYZE outbox`);
  const [scans] = await scansOfRepeatedCalls(relay, ['outbox'], async (run, transaction) => {
    const page = await transaction.any(sql.type(z.object({ global_position: z.number() }))`
      SELECT global_position
        FROM relay_outbox_prune_and_page(${sql.array([-1 - run], 'int8')}, ${sql.array(lanes, 'int2')},
                                         '0'::xid8, 0::bigint, 100::integer)
    `);
    expect(page.length).toBeGreaterThan(0);
  });
  expect(scans?.seq_scan).toBe(0);
  // Each run: a probe of the primary key for its position, then the page's ordered scan.
  expect(scans?.idx_scan).toBeGreaterThanOrEqual(14);
});
