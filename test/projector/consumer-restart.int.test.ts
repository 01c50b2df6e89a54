/**
 * A consumer kafkajs gives up without a restart because the broker dropped
 * its group lookup (KafkaJSGroupCoordinatorNotFound, tulios/kafkajs#1630: what
 * a broker going down does to a consumer rejoining at that moment) is started
 * again by the projector, which then projects what came meanwhile. Every
 * connection to the test's own broker goes through a proxy that drops the
 * lookups on demand; the group rejoins because another member leaves it.
 */
import { Kafka, logLevel } from 'kafkajs';
import { loadTopology } from '../../services/messaging/index.ts';
import type { RunningProjector } from '../../services/projector/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, deleteSubjects } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type KafkaInstance, startKafkaInstance } from '../support/kafka-instance.ts';
import { KAFKA_API, KafkaRequestRefusal } from '../support/kafka-request-refusal.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { metricSeries } from '../support/metrics.ts';
import { uniqueName } from '../support/names.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/wait.ts';
import { awaitCaughtUp, startTestProjector, startTestRelay } from './pipeline.ts';
import { Workload } from './workload.ts';

let db: TestDatabase;
let kafka: KafkaInstance;
const refusal = new KafkaRequestRefusal();
let proxy: TcpProxy | undefined;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;
let workload: Workload;
let orders = 0;
const prefix = `${uniqueName('restart')}.`;

beforeAll(async () => {
  const proxyPort = await freePort();
  [db, kafka] = await Promise.all([
    createTestDatabase('restart'),
    startKafkaInstance({
      advertisedPort: proxyPort,
      listening: async (brokerPort) => {
        proxy = new TcpProxy('127.0.0.1', brokerPort, { port: proxyPort, clientData: refusal.forConnection });
        await proxy.start();
      },
    }),
  ]);
  await applyTestTopology(prefix, kafka.brokers);
  relay = await startTestRelay(db, prefix, { kafka: { brokers: kafka.brokers } });
  projector = await startTestProjector(db, prefix, { kafka: { brokers: kafka.brokers } });
  workload = await Workload.open(db.appUrl, 2);
  await workload.createTenants();
}, 180_000);

afterAll(async () => {
  await projector?.close();
  await relay?.close();
  await workload?.close();
  await kafka?.destroy();
  await proxy?.cut();
  await db?.drop();
  await deleteSubjects(prefix);
});

async function placeOrders(): Promise<void> {
  const n = orders++;
  await Promise.all(workload.tenants.map((tenant) => workload.order(tenant, n)));
}

async function ordersRestarts(): Promise<number> {
  const series = await metricSeries(
    `http://127.0.0.1:${projector?.port}`,
    'eventline_projector_consumer_restarts_total',
  );
  return [...series].reduce(
    (sum, [labels, value]) => (labels.includes('projection="orders"') ? sum + value : sum),
    0,
  );
}

test('a consumer given up for a group lookup the broker dropped is restarted, and projects what came meanwhile', async () => {
  await placeOrders();
  await awaitCaughtUp(db.appUrl, workload.lastPosition);
  expect(await ordersRestarts()).toBe(0);

  // A second member of the orders projection's group; its leaving makes the projector's consumer rejoin.
  const ordersTopic = (await loadTopology(prefix)).eventTopics.get('orders')?.topic ?? '';
  const other = new Kafka({
    brokers: kafka.brokers,
    clientId: 'other-member',
    logLevel: logLevel.NOTHING,
  }).consumer({ groupId: `${prefix}projector.orders`, sessionTimeout: 10_000, rebalanceTimeout: 20_000 });
  const joined = new Promise<void>((resolve) => other.on(other.events.GROUP_JOIN, () => resolve()));
  await other.connect();
  await other.subscribe({ topics: [ordersTopic] });
  // It never applies, nor commits: the projector seeks to its checkpoints once it has the partitions back.
  await other.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
  await joined;

  refusal.refuse(KAFKA_API.FindCoordinator);
  await other.disconnect();
  await waitFor(
    'the orders consumer restarted by the projector',
    async () => ((await ordersRestarts()) >= 1 ? true : undefined),
    { timeoutMs: 90_000 },
  );
  await placeOrders();

  refusal.allowAll();
  await placeOrders();
  await awaitCaughtUp(db.appUrl, workload.lastPosition, undefined, 90_000);
  const ready = await fetch(`http://127.0.0.1:${projector?.port}/ready`);
  expect(ready.status).toBe(200);
}, 240_000);
