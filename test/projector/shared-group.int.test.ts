/**
 * The projections of orders.events share the consumer group projector.orders
 * (topology/): one consumer fetches each record once and feeds all three,
 * each from its own checkpoint. A projection left behind its group-mates (its
 * read model and position reset to the topic's start, as restoring that read
 * model alone from an old backup leaves it) catches up from its checkpoint,
 * while the others skip what they have applied. The process runs two members
 * of the group, which split its partitions.
 */
import { AssignerProtocol } from 'kafkajs';
import { loadTopology } from '../../services/messaging/index.ts';
import { openDatabase, sql } from '../../services/platform/database/index.ts';
import type { RunningProjector } from '../../services/projector/index.ts';
import { projectionNamed } from '../../services/readmodels/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, deleteSubjects, kafkaAt } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { metricSeries } from '../support/metrics.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { awaitCaughtUp, startTestProjector, startTestRelay, verifyAll } from './pipeline.ts';
import { Workload } from './workload.ts';

let db: TestDatabase;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;
let workload: Workload;
const prefix = `${uniqueName('sharedgroup')}.`;
const BEHIND = 'customer_order_stats';

beforeAll(async () => {
  db = await createTestDatabase('sharedgroup');
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

/** The events each projection applied in this projector process, from its /metrics. */
async function appliedByProjection(running: RunningProjector): Promise<Map<string, number>> {
  const series = await metricSeries(
    `http://127.0.0.1:${running.port}`,
    'eventline_projector_events_applied_total',
  );
  const applied = new Map<string, number>();
  for (const [labels, value] of series) {
    const projection = /projection="([^"]+)"/.exec(labels)?.[1];
    if (projection) applied.set(projection, value);
  }
  return applied;
}

/** Per member of the group, once it is stable, the partitions of `topic` it was assigned. */
async function assignments(group: string, topic: string): Promise<number[][]> {
  const admin = kafkaAt(endpoints().kafkaBrokers).admin();
  await admin.connect();
  try {
    return await waitFor(`${group} stable`, async () => {
      const [described] = (await admin.describeGroups([group])).groups;
      if (described?.state !== 'Stable') return undefined;
      return described.members.map(
        (member) =>
          AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment[topic] ?? [],
      );
    });
  } finally {
    await admin.disconnect();
  }
}

test('a process runs two members of each group, which split its partitions', async () => {
  projector = await startTestProjector(db, prefix);
  const topic = `${prefix}orders.events`;
  const split = await assignments(`${prefix}projector.orders`, topic);
  expect(split).toHaveLength(2);
  const partitions = (await loadTopology(prefix)).eventTopics.get('orders')?.partitions ?? 0;
  expect(split.flat().sort((a, b) => a - b)).toEqual([...Array(partitions).keys()]);
  expect(split.every((mine) => mine.length > 0)).toBe(true);
  await workload.run(2);
  await awaitCaughtUp(db.appUrl, workload.lastPosition);
  for (const report of await verifyAll(db)) expect(report).toMatchObject({ consistent: true });
  await projector.close();
  projector = undefined;
}, 120_000);

test('a projection behind its group-mates catches up from its own checkpoint; the others skip', async () => {
  const groups = (await loadTopology(prefix)).consumerGroups;
  const groupOf = (projection: string) => groups.find((entry) => entry.projection === projection)?.group;
  expect(groupOf(BEHIND)).toBe(`${prefix}projector.orders`);
  expect(groupOf('orders')).toBe(groupOf(BEHIND));
  expect(groupOf('tenant_stats')).toBe(groupOf(BEHIND));

  projector = await startTestProjector(db, prefix);
  await workload.run(4);
  await awaitCaughtUp(db.appUrl, workload.lastPosition);
  await projector.close();
  projector = undefined;

  // As the database's owner: the projection's rows, watermarks and position go back to the start.
  const owner = await openDatabase(db.adminUrl, { maximumPoolSize: 1 });
  try {
    await owner.transaction(async (tx) => {
      for (const table of projectionNamed(BEHIND).tables)
        await tx.query(sql.typeAlias('void')`DELETE FROM ${sql.identifier(['readmodels', table])}`);
      await tx.query(sql.typeAlias('void')`DELETE FROM readmodels.watermarks WHERE projection = ${BEHIND}`);
      await tx.query(
        sql.typeAlias('void')`UPDATE readmodels.checkpoints SET next_offset = 0 WHERE projection = ${BEHIND}`,
      );
    });
  } finally {
    await owner.end();
  }

  projector = await startTestProjector(db, prefix);
  await awaitCaughtUp(db.appUrl, workload.lastPosition);
  for (const report of await verifyAll(db)) expect(report).toMatchObject({ consistent: true });
  const applied = await appliedByProjection(projector);
  expect(applied.get(BEHIND)).toBeGreaterThan(0);
  expect(applied.get('orders') ?? 0).toBe(0);
  expect(applied.get('tenant_stats') ?? 0).toBe(0);
}, 180_000);
