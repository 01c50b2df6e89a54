import type { Kafka } from 'kafkajs';
import type { RunningProjector } from '../../services/projector/index.ts';
import { sql } from '../../services/platform/database/index.ts';
import type { ProjectedEvent, Projection } from '../../services/readmodels/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, asOwner, deleteSubjects, kafkaAt } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { guardedOrders } from './guarded-orders.ts';
import { awaitCaughtUp, startTestProjector, startTestRelay, verifyAll } from './pipeline.ts';
import { Workload } from './workload.ts';

let db: TestDatabase;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;
let workload: Workload;
const prefix = `${uniqueName('projbulk')}.`;

const isPoison = (event: ProjectedEvent) =>
  event.type === 'OrderPlaced' && event.data.customerId === 'poison';
const refusing = guardedOrders((event) => {
  if (isPoison(event)) throw new Error('this customer breaks the handler');
});

/** Each bulk run the projector asked for: its size, where the poison event was in it, and whether it was refused. */
const runs: { size: number; poisonAt: number; refused: boolean }[] = [];
const recorded: Projection = {
  ...refusing,
  async applyMany(tx, events, target, deferred) {
    const run = { size: events.length, poisonAt: events.findIndex(isPoison), refused: true };
    runs.push(run);
    const applied = (await refusing.applyMany?.(tx, events, target, deferred)) ?? false;
    run.refused = false;
    return applied;
  },
};

async function published(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * A backlog: once `records` are on the orders topic, the projector starts on
 * them, so they come in one batch, and catches up.
 */
async function projectBacklog(records: number, projection: Projection, attempts: number): Promise<void> {
  const kafka = kafkaAt(endpoints().kafkaBrokers);
  await waitFor(
    'the orders on the topic',
    async () => ((await published(kafka, `${prefix}orders.events`)) >= records ? true : undefined),
    { timeoutMs: 60_000 },
  );
  projector = await startTestProjector(db, prefix, {
    only: ['orders'],
    projections: [projection],
    retries: { attempts, delayMs: 10 },
  });
  await awaitCaughtUp(db.appUrl, workload.lastPosition, [projection]);
}

beforeAll(async () => {
  db = await createTestDatabase('projbulk');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(db, prefix);
  workload = await Workload.open(db.appUrl, 1);
});

afterAll(async () => {
  await projector?.close();
  await relay?.close();
  await workload.close();
  await db.drop();
  await deleteSubjects(prefix);
});

test('a poison event in the middle of a bulk batch is parked alone; the events around it are applied', async () => {
  const [tenant] = workload.tenants as [never];
  const first = await workload.order(tenant, 0); // placed, item added: 2 events
  const poison = await workload.order(tenant, 1, 'poison'); // placed, item, shipped, delivered: 4
  const last = await workload.order(tenant, 2); // placed, item, cancelled: 3
  await projectBacklog(9, recorded, 3);

  const refused = runs.find((run) => run.refused);
  expect(refused?.poisonAt).toBeGreaterThan(0);
  expect(refused?.poisonAt).toBeLessThan((refused?.size ?? 0) - 1);
  const rows = await asOwner<{ order_id: string; status: string }>(
    db.adminUrl,
    'SELECT order_id, status FROM readmodels.orders ORDER BY placed_position',
  );
  expect(rows).toEqual([
    { order_id: first, status: 'placed' },
    { order_id: last, status: 'cancelled' },
  ]);
  expect(rows.map((row) => row.order_id)).not.toContain(poison);
  expect(await asOwner(db.adminUrl, 'SELECT event_type, attempts FROM readmodels.dead_letters')).toEqual([
    { event_type: 'OrderPlaced', attempts: 3 },
  ]);
  const [report] = await verifyAll(db, [recorded]);
  expect(report).toMatchObject({ consistent: true });
}, 150_000);

/**
 * A bulk apply's writes go out with the round's watermarks and checkpoints, in
 * its last statement: a write the database refuses there (here a row missing
 * its key, for the run holding the poison event) loses the round as a refusal
 * inside the bulk apply does, and the batch is redone event by event.
 */
const isPoisonToo = (event: ProjectedEvent) =>
  event.type === 'OrderPlaced' && event.data.customerId === 'poison-at-write';
const refusedAtWrite: Projection = {
  ...guardedOrders((event) => {
    if (isPoisonToo(event)) throw new Error('this customer breaks the handler');
  }),
  async applyMany(tx, events, target, shared) {
    const applied = (await refusing.applyMany?.(tx, events, target, shared)) ?? false;
    if (events.some(isPoisonToo))
      shared?.writes.push(sql.fragment`INSERT INTO readmodels.orders (tenant_id) VALUES (NULL)`);
    return applied;
  },
};

test('a bulk write refused in the round’s last statement is redone event by event; the poison is parked', async () => {
  await projector?.close();
  projector = undefined;
  const [tenant] = workload.tenants as [never];
  const before = await published(kafkaAt(endpoints().kafkaBrokers), `${prefix}orders.events`);
  const first = await workload.order(tenant, 3); // placed, item added: 2 events
  const poison = await workload.order(tenant, 4, 'poison-at-write'); // placed, item, shipped, delivered: 4
  const last = await workload.order(tenant, 5); // placed, item, cancelled: 3
  await projectBacklog(before + 9, refusedAtWrite, 2);

  const rows = await asOwner<{ order_id: string; status: string }>(
    db.adminUrl,
    'SELECT order_id, status FROM readmodels.orders WHERE order_id = ANY($1::uuid[]) ORDER BY placed_position',
    [[first, poison, last]],
  );
  expect(rows).toEqual([
    { order_id: first, status: 'placed' },
    { order_id: last, status: 'cancelled' },
  ]);
  expect(
    await asOwner(db.adminUrl, 'SELECT event_type, attempts FROM readmodels.dead_letters WHERE attempts = 2'),
  ).toEqual([{ event_type: 'OrderPlaced', attempts: 2 }]);
}, 150_000);
