import type { Consumer } from 'kafkajs';
import type { RunningProjector } from '../../services/projector/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, asOwner, deleteSubjects, kafkaAt } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { awaitCaughtUp, startTestProjector, startTestRelay, verifyAll } from './pipeline.ts';
import { guardedOrders } from './guarded-orders.ts';
import { Workload } from './workload.ts';

let db: TestDatabase;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;
let workload: Workload;
let dlqConsumer: Consumer | undefined;
const prefix = `${uniqueName('projdlq')}.`;

// The shipped orders projection, except that it refuses one customer's orders: a poison event.
const refusing = guardedOrders((event) => {
  if (event.data.customerId === 'poison') throw new Error('this customer breaks the handler');
});

beforeAll(async () => {
  db = await createTestDatabase('projdlq');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(db, prefix);
  workload = await Workload.open(db.appUrl, 2);
});

afterAll(async () => {
  await dlqConsumer?.disconnect();
  await projector?.close();
  await relay?.close();
  await workload.close();
  await db.drop();
  await deleteSubjects(prefix);
});

test('a poison event is retried, parked on the DLQ with its headers, and the projection keeps up', async () => {
  projector = await startTestProjector(db, prefix, {
    only: ['orders'],
    projections: [refusing],
    retries: { attempts: 3, delayMs: 10 },
  });
  const [tenant, other] = workload.tenants as [never, never];
  await workload.order(tenant, 0);
  const poison = await workload.order(tenant, 1, 'poison');
  const after = await workload.order(tenant, 2);
  await workload.order(other, 3);
  await awaitCaughtUp(db.appUrl, workload.lastPosition, [refusing]);

  const rows = await asOwner<{ order_id: string }>(db.adminUrl, 'SELECT order_id FROM readmodels.orders');
  const ids = rows.map((row) => row.order_id);
  expect(ids).toContain(after);
  expect(ids).not.toContain(poison);
  expect(await asOwner(db.adminUrl, 'SELECT event_type, attempts FROM readmodels.dead_letters')).toEqual([
    { event_type: 'OrderPlaced', attempts: 3 },
  ]);

  const dlq = `${prefix}orders.events.orders.dlq`;
  const parked: { key: string; value: Buffer | null; headers: Record<string, string> }[] = [];
  dlqConsumer = kafkaAt(endpoints().kafkaBrokers).consumer({ groupId: uniqueName('dlq-reader') });
  await dlqConsumer.connect();
  await dlqConsumer.subscribe({ topics: [dlq], fromBeginning: true });
  await dlqConsumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
      parked.push({ key: message.key?.toString() ?? '', value: message.value, headers });
    },
  });
  await waitFor('the parked record', () => (parked.length > 0 ? true : undefined), { timeoutMs: 30_000 });
  const [record] = parked;
  expect(record?.key).toBe(tenant);
  expect(record?.value?.[0]).toBe(0); // still the Confluent wire format, untouched
  expect(record?.headers).toMatchObject({
    'event-type': 'OrderPlaced',
    'aggregate-id': poison,
    'tenant-id': tenant,
    'dlq-error': 'Error: this customer breaks the handler',
    'dlq-attempts': '3',
    'dlq-source-partition': expect.stringMatching(/^\d+$/),
    'dlq-source-offset': expect.stringMatching(/^\d+$/),
    'dlq-failed-at': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
  });
  // The items added to the parked order found no row: the read model still equals a
  // replay that skips exactly what was parked.
  const [report] = await verifyAll(db, [refusing]);
  expect(report).toMatchObject({ consistent: true });
  const metrics = await (await fetch(`http://127.0.0.1:${projector.port}/metrics`)).text();
  expect(metrics).toMatch(
    /eventline_projector_dead_letters_total\{projection="orders",component="projector"\} 1/,
  );
});
