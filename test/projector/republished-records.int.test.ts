import type { RunningProjector } from '../../services/projector/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, asOwner, deleteSubjects, kafkaAt, recordTopics } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { deadLetterCount } from './crash-checks.ts';
import { awaitCaughtUp, startTestProjector, startTestRelay, verifyAll } from './pipeline.ts';
import { Workload } from './workload.ts';

let db: TestDatabase;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;
let workload: Workload;
const prefix = `${uniqueName('projrepub')}.`;
const ordersTopic = `${prefix}orders.events`;

beforeAll(async () => {
  db = await createTestDatabase('projrepub');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(db, prefix);
  workload = await Workload.open(db.appUrl, 3);
});

afterAll(async () => {
  await projector?.close();
  await relay?.close();
  await workload.close();
  await db.drop();
  await deleteSubjects(prefix);
});

/** Each orders partition's end offset now. */
async function endOffsets(): Promise<Map<number, number>> {
  const admin = kafkaAt(endpoints().kafkaBrokers).admin();
  await admin.connect();
  try {
    return new Map(
      (await admin.fetchTopicOffsets(ordersTopic)).map((p) => [p.partition, Number(p.high)] as const),
    );
  } finally {
    await admin.disconnect();
  }
}

test('records the relay publishes again (same event, later offset) are applied once: read models equal a replay, nothing parked', async () => {
  await workload.createTenants();
  projector = await startTestProjector(db, prefix);
  await workload.run(3);
  await awaitCaughtUp(db.appUrl, workload.lastPosition);

  // What a relay that died between Kafka's acknowledgement and its delete leaves behind: every
  // record published a second time, identical, at later offsets of the same partitions.
  const published = await recordTopics(endpoints().kafkaBrokers, [ordersTopic]);
  const ends = await endOffsets();
  const total = [...ends.values()].reduce((sum, n) => sum + n, 0);
  await waitFor('every record read back', () => (published.received.length >= total ? true : undefined));
  await published.stop();
  const producer = kafkaAt(endpoints().kafkaBrokers).producer();
  await producer.connect();
  try {
    await producer.send({
      topic: ordersTopic,
      messages: published.received.map((record) => ({
        partition: record.partition,
        key: record.key,
        value: record.value,
        headers: record.headers,
      })),
    });
  } finally {
    await producer.disconnect();
  }
  // And the tenants go on: their next events follow the copies.
  await workload.run(2, 3);
  await awaitCaughtUp(db.appUrl, workload.lastPosition);
  const after = await endOffsets();
  await waitFor(
    'every orders checkpoint past the copies',
    async () => {
      const rows = await asOwner<{ projection: string; partition: number; next_offset: string }>(
        db.adminUrl,
        `SELECT projection, partition, next_offset FROM readmodels.checkpoints WHERE topic = $1`,
        [ordersTopic],
      );
      const reached = new Map(
        rows.map((row) => [`${row.projection}:${row.partition}`, Number(row.next_offset)]),
      );
      return ['orders', 'customer_order_stats', 'tenant_stats'].every((projection) =>
        [...after].every(
          ([partition, end]) => end === 0 || reached.get(`${projection}:${partition}`) === end,
        ),
      )
        ? true
        : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );

  for (const report of await verifyAll(db)) {
    expect(report).toMatchObject({ consistent: true });
    expect(report.eventsReplayed).toBeGreaterThan(0);
  }
  // Applied twice, an OrderPlaced is refused ("placed already") and parked; none may be.
  expect(await deadLetterCount(db)).toBe(0);
}, 180_000);
