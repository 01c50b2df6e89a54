import { createLogger } from '../../services/platform/telemetry/index.ts';
import { type RunningRelay, startRelay } from '../../services/relay/index.ts';
import { CommandStream, storedEvents } from '../relay/command-stream.ts';
import { applyTestTopology, deleteSubjects, recordTopics } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { metricSeries } from '../support/metrics.ts';
import { waitFor } from '../support/wait.ts';

let db: TestDatabase;
let postgres: TcpProxy;
let relay: RunningRelay | undefined;
const prefix = `${uniqueName('relayready')}.`;
const ordersTopic = `${prefix}orders.events`;
// Longer than a lane lease (10 s): the relay must claim its lanes anew once the database is back.
const OUTAGE_MS = 12_000;

beforeAll(async () => {
  db = await createTestDatabase('relayready');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  // Only this relay loses PostgreSQL: the test cuts the proxy, the server keeps serving everyone else.
  const target = new URL(db.relayUrl);
  postgres = new TcpProxy(target.hostname, Number(target.port || 5432));
  await postgres.start();
});

afterAll(async () => {
  await relay?.close();
  await postgres?.cut();
  await db?.drop();
  await deleteSubjects(prefix);
});

interface Report {
  status: string;
  checks: Record<string, { status: string }>;
}

/** Waits until /ready says `status` with the HTTP status that goes with it. */
/** circuit_breaker_state{dependency="postgres"}: 0 closed, 1 half-open, 2 open. */
async function postgresBreaker(port: number): Promise<number | undefined> {
  return (await metricSeries(`http://127.0.0.1:${port}`, 'circuit_breaker_state')).get(
    'dependency="postgres",component="relay"',
  );
}

function readyTurns(port: number, status: 'ok' | 'degraded' | 'down'): Promise<Report> {
  return waitFor(
    `the relay's /ready to say ${status}`,
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/ready`);
      const report = (await response.json()) as Report;
      const expectedHttp = status === 'down' ? 503 : 200;
      return report.status === status && response.status === expectedHttp ? report : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

test('PostgreSQL cut: /ready 503 down naming postgres; restored: ok again and the events written meanwhile reach Kafka, without a restart', async () => {
  relay = await startRelay({
    databaseUrl: postgres.urlFor(db.relayUrl),
    kafka: { brokers: endpoints().kafkaBrokers },
    schemaRegistry: { url: endpoints().schemaRegistryUrl },
    topicPrefix: prefix,
    host: '127.0.0.1',
    port: 0,
    log: createLogger('relay', process.env.RELAY_TEST_LOG_LEVEL ?? 'silent'),
  });
  const { port } = relay;
  const consumer = await recordTopics(endpoints().kafkaBrokers, [ordersTopic]);
  // Only the relay's connections go through the proxy.
  const stream = await CommandStream.open(db.appUrl, 3);
  try {
    await readyTurns(port, 'ok');
    await stream.run(1, 1);
    await waitFor('the first events on Kafka', () => (consumer.eventIds().size >= 6 ? true : undefined));

    await postgres.cut();
    const cutAt = Date.now();
    const down = await readyTurns(port, 'down');
    expect(down.checks.postgres?.status).toBe('down');
    expect(down.checks.kafka?.status).toBe('up');
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    // Commands go on meanwhile: they reach the event store directly and wait in the outbox.
    let during = 0;
    while (Date.now() - cutAt < OUTAGE_MS) {
      await stream.run(1, 2);
      during += 9;
    }
    expect((await readyTurns(port, 'down')).checks.postgres?.status).toBe('down');
    // The sweep's reads failed, and now fail fast: PostgreSQL's breaker is open.
    await waitFor('the PostgreSQL breaker to open', async () =>
      (await postgresBreaker(port)) === 2 ? true : undefined,
    );
    const stored = await storedEvents(db.adminUrl);
    expect(stored).toHaveLength(6 + during);

    await postgres.start();
    await readyTurns(port, 'ok');
    await waitFor(
      'the events written during the outage on Kafka',
      () => (consumer.eventIds().size >= stored.length ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(await postgresBreaker(port)).toBe(0);
    expect(consumer.eventIds()).toEqual(new Set(stored.map((event) => event.event_id)));
  } finally {
    await stream.close();
    await consumer.stop();
  }
}, 120_000);
