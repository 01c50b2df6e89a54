/**
 * The relay's page reads its events through events_at, and every projector
 * round's opening asks events_checkpoints where its records stand. Both are
 * kept planned for a session, so each is held to a probe of the key per
 * position (migrations 0040 and 0041) even where the statistics make a scan of
 * the table look cheaper, as they do in a new store's first minute while its
 * events grow by thousands a second.
 */
import { randomUUID } from 'node:crypto';
import type { DatabasePool, QuerySqlToken } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';
import { placeOrders } from '../../test/support/orders.ts';
import { scansOfRepeatedCalls } from '../../test/support/table-scans.ts';
import { openDatabase, sql } from '../platform/database/index.ts';
import { tenantId } from '../platform/tenancy/index.ts';

let db: TestDatabase;
let admin: DatabasePool;
let positions: readonly number[];

beforeAll(async () => {
  db = await createTestDatabase('readsbyposition');
  admin = await openDatabase(db.adminUrl, { maximumPoolSize: 2 });
  await placeOrders(
    db.appUrl,
    Array.from({ length: 4 }, () => tenantId(randomUUID())),
  );
  positions = await admin.anyFirst(
    sql.type(z.object({ global_position: z.number() }))`SELECT global_position FROM events ORDER BY 1`,
  );
  // A few rows in one heap page each, and statistics that say so.
  await admin.query(sql.typeAlias('void')`ANALYZE events, events_withdrawn`);
});

afterAll(async () => {
  await admin.end();
  await db.drop();
});

const answerRow = z.object({ answer: z.string() });
const eventTables = ['events_cold', 'events_hot', 'events_withdrawn'];

/** Each table's sequential scans over seven calls, one position each, as the given login. */
async function sequentialScans(url: string, call: (position: number) => QuerySqlToken<typeof answerRow>) {
  const pool = await openDatabase(url, { maximumPoolSize: 1 });
  try {
    const scans = await scansOfRepeatedCalls(pool, eventTables, async (run, transaction) => {
      const rows = await transaction.any(call(positions[run % positions.length] ?? 0));
      expect(rows).toHaveLength(1);
    });
    return scans.map(({ relname, seq_scan }) => ({ relname, seq_scan }));
  } finally {
    await pool.end();
  }
}

const noSequentialScan = [
  { relname: 'events_cold', seq_scan: 0 },
  { relname: 'events_hot', seq_scan: 0 },
  { relname: 'events_withdrawn', seq_scan: 0 },
];

test("the relay's events_at probes the key for each position", async () => {
  const scans = await sequentialScans(
    db.relayUrl,
    (position) =>
      sql.type(answerRow)`SELECT event_id::text AS answer FROM events_at(${sql.array([position], 'int8')})`,
  );
  expect(scans).toEqual(noSequentialScan);
});

test("a projector round's events_checkpoints probes the keys for each position", async () => {
  const scans = await sequentialScans(
    db.projectorUrl,
    (position) =>
      sql.type(answerRow)`
        SELECT transaction_id AS answer FROM events_checkpoints(${sql.array([position], 'int8')})
      `,
  );
  expect(scans).toEqual(noSequentialScan);
});
