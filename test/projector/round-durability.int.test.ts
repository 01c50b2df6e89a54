/**
 * A live round commits without waiting for its WAL flush (migration 1011), so a
 * PostgreSQL crash can lose the last rounds a running projector committed. What
 * it loses goes back whole: read models, watermarks and checkpoints are one
 * transaction. The projector finds its next records past the checkpoint and
 * seeks back to it, even when that checkpoint is the one it sought to when it
 * joined the group (docs/projector.md).
 */
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { openDatabase, sql } from '../../services/platform/database/index.ts';
import type { RunningProjector } from '../../services/projector/index.ts';
import { openRound } from '../../services/projector/round-opening.ts';
import { projections } from '../../services/readmodels/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, asOwner, deleteSubjects } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { awaitCaughtUp, startTestProjector, startTestRelay, verifyAll } from './pipeline.ts';
import { Workload } from './workload.ts';

let db: TestDatabase;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;
let workload: Workload;
const prefix = `${uniqueName('rounddurability')}.`;

beforeAll(async () => {
  db = await createTestDatabase('rounddurability');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(db, prefix);
  workload = await Workload.open(db.appUrl, 3);
  await workload.createTenants();
}, 120_000);

afterAll(async () => {
  await projector?.close();
  await relay?.close();
  await workload?.close();
  await db?.drop();
  await deleteSubjects(prefix);
});

const setting = z.object({ value: z.string() });

/** The synchronous_commit a commit on this connection would use now. */
const synchronousCommit = (connection: CommonQueryMethods) =>
  connection.oneFirst(sql.type(setting)`SELECT current_setting('synchronous_commit') AS value`);

test('a live round commits without a flush; the next transaction on its connection flushes again', async () => {
  const pool = await openDatabase(db.projectorUrl, { maximumPoolSize: 1 });
  try {
    const inRound = await pool.transaction(async (tx) => {
      await openRound(tx, [{ projection: 'orders', topic: `${prefix}orders.events`, partition: 0 }], [], []);
      return synchronousCommit(tx);
    });
    expect(inRound).toBe('off');
    expect(await synchronousCommit(pool)).toBe('on');
  } finally {
    await pool.end();
  }
});

/** Every table a live round writes: the projections' read models, the watermarks, the checkpoints. */
const roundTables = [...projections.flatMap((projection) => projection.tables), 'watermarks', 'checkpoints'];

test('rounds the database lost after their commit are applied again by the running projector', async () => {
  projector = await startTestProjector(db, prefix);
  await workload.run(4);
  await awaitCaughtUp(db.appUrl, workload.lastPosition);
  await projector.close();

  // What the database holds when the projector next joins the group, and seeks to its checkpoints.
  await asOwner(
    db.adminUrl,
    roundTables.map((table) => `CREATE TABLE public.kept_${table} AS TABLE readmodels.${table};`).join('\n'),
  );
  projector = await startTestProjector(db, prefix);
  await workload.run(4, 4);
  await awaitCaughtUp(db.appUrl, workload.lastPosition);

  // A crash that lost every round since the join: the state kept above, in one transaction.
  await asOwner(
    db.adminUrl,
    roundTables
      .map(
        (table) =>
          `DELETE FROM readmodels.${table}; INSERT INTO readmodels.${table} SELECT * FROM public.kept_${table};`,
      )
      .join('\n'),
  );
  await workload.run(2, 8);
  await awaitCaughtUp(db.appUrl, workload.lastPosition);
  for (const report of await verifyAll(db)) expect(report).toMatchObject({ consistent: true });
}, 180_000);
