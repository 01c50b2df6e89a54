import { createLogger } from '../../services/platform/telemetry/index.ts';
import { type RunningRelay, startRelay } from '../../services/relay/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { type KafkaInstance, startKafkaInstance } from '../support/kafka-instance.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { CommandStream, storedEvents } from './command-stream.ts';
import { applyTestTopology, deleteSubjects, recordTopics } from './harness.ts';

const OUTAGE_MS = 30_000;

let db: TestDatabase;
let kafka: KafkaInstance;
let relay: RunningRelay | undefined;
const prefix = `${uniqueName('relayout')}.`;
const ordersTopic = `${prefix}orders.events`;

beforeAll(async () => {
  [db, kafka] = await Promise.all([createTestDatabase('relayout'), startKafkaInstance()]);
  await applyTestTopology(prefix, kafka.brokers);
}, 120_000);

afterAll(async () => {
  await relay?.close();
  await kafka?.destroy();
  await db?.drop();
  await deleteSubjects(prefix);
});

async function ready(port: number): Promise<{ status: string; checks: Record<string, { status: string }> }> {
  return (await fetch(`http://127.0.0.1:${port}/ready`)).json() as Promise<{
    status: string;
    checks: Record<string, { status: string }>;
  }>;
}

test('the broker stopped for 30 s mid-stream: commands keep being accepted, /ready says degraded, the relay recovers by itself and loses nothing', async () => {
  relay = await startRelay({
    databaseUrl: db.relayUrl,
    kafka: { brokers: kafka.brokers },
    schemaRegistry: { url: endpoints().schemaRegistryUrl },
    topicPrefix: prefix,
    host: '127.0.0.1',
    port: 0,
    log: createLogger('relay', process.env.RELAY_TEST_LOG_LEVEL ?? 'silent'),
  });
  const port = relay.port;
  const stream = await CommandStream.open(db.appUrl, 10);
  try {
    const before = await recordTopics(kafka.brokers, [ordersTopic]);
    await stream.run(1, 2);
    await waitFor('the first events on Kafka', () => (before.eventIds().size >= 30 ? true : undefined));
    await before.stop();

    await kafka.stop();
    const stoppedAt = Date.now();
    // Commands go on while the broker is away: they wait in the outbox.
    let during = 0;
    while (Date.now() - stoppedAt < OUTAGE_MS) {
      await stream.run(1, 1);
      during += 20;
    }
    const degraded = await waitFor('/ready degraded', async () => {
      const report = await ready(port);
      return report.status === 'degraded' ? report : undefined;
    });
    expect(degraded.checks.kafka?.status).toBe('down');
    expect(degraded.checks.postgres?.status).toBe('up');
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(
      /eventline_relay_errors_total\{kind="kafka",component="relay"\} [1-9]/,
    );

    await kafka.start();
    const stored = await storedEvents(db.adminUrl);
    expect(stored).toHaveLength(30 + during);
    const after = await recordTopics(kafka.brokers, [ordersTopic]);
    try {
      await waitFor(
        'every event on Kafka after the outage',
        () => (after.eventIds().size >= stored.length ? true : undefined),
        {
          timeoutMs: 60_000,
          intervalMs: 250,
        },
      );
      expect(after.eventIds()).toEqual(new Set(stored.map((event) => event.event_id)));
      await waitFor('/ready ok again', async () => ((await ready(port)).status === 'ok' ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 250,
      });
    } finally {
      await after.stop();
    }
  } finally {
    await stream.close();
  }
}, 240_000);
