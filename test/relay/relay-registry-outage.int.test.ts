import { createLogger } from '../../services/platform/telemetry/index.ts';
import { type RunningRelay, startRelay } from '../../services/relay/index.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { CommandStream, storedEvents } from './command-stream.ts';
import { applyTestTopology, asOwner, deleteSubjects, type ReceivedRecord, recordTopics } from './harness.ts';

const OUTAGE_MS = 8_000;

let db: TestDatabase;
let relay: RunningRelay | undefined;
let proxy: TcpProxy;
const prefix = `${uniqueName('relayreg')}.`;
const ordersTopic = `${prefix}orders.events`;

beforeAll(async () => {
  db = await createTestDatabase('relayreg');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  // The relay reaches the shared registry only through this proxy, which the test cuts
  // and restores; the registry itself keeps serving everyone else.
  const registry = new URL(endpoints().schemaRegistryUrl);
  proxy = new TcpProxy(registry.hostname, Number(registry.port));
  await proxy.start();
});

afterAll(async () => {
  await relay?.close();
  await proxy?.cut();
  await db?.drop();
  await deleteSubjects(prefix);
});

async function ready(port: number): Promise<{ status: string; checks: Record<string, { status: string }> }> {
  return (await fetch(`http://127.0.0.1:${port}/ready`)).json() as Promise<{
    status: string;
    checks: Record<string, { status: string }>;
  }>;
}

async function outboxRows(): Promise<number> {
  const [row] = await asOwner<{ n: string }>(db.adminUrl, 'SELECT count(*) AS n FROM outbox');
  return Number(row?.n);
}

test('the schema registry unreachable mid-stream: the relay keeps the events, recovers by itself, loses nothing and keeps each tenant’s order', async () => {
  relay = await startRelay({
    databaseUrl: db.relayUrl,
    kafka: { brokers: endpoints().kafkaBrokers },
    schemaRegistry: { url: proxy.urlFor(endpoints().schemaRegistryUrl) },
    topicPrefix: prefix,
    host: '127.0.0.1',
    port: 0,
    log: createLogger('relay', process.env.RELAY_TEST_LOG_LEVEL ?? 'silent'),
  });
  const port = relay.port;
  const consumer = await recordTopics(endpoints().kafkaBrokers, [ordersTopic]);
  const stream = await CommandStream.open(db.appUrl, 10);
  try {
    // Orders without items first: the relay learns OrderPlaced's schema id, not OrderItemAdded's.
    await stream.run(1, 0);
    await waitFor('the first events on Kafka', () => (consumer.eventIds().size >= 10 ? true : undefined));

    await proxy.cut();
    const cutAt = Date.now();
    // Commands go on; their OrderItemAdded events need the registry, and every later event of
    // the same tenant must wait behind them.
    while (Date.now() - cutAt < OUTAGE_MS) await stream.run(1, 2);
    const degraded = await waitFor('/ready degraded', async () => {
      const report = await ready(port);
      return report.status === 'degraded' ? report : undefined;
    });
    expect(degraded.checks['schema-registry']?.status).toBe('down');
    expect(degraded.checks.postgres?.status).toBe('up');
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(
      /eventline_relay_errors_total\{kind="registry",component="relay"\} [1-9]/,
    );
    expect(consumer.received.filter((record) => record.headers['event-type'] === 'OrderItemAdded')).toEqual(
      [],
    );
    expect(await outboxRows()).toBeGreaterThan(0);

    await proxy.start();
    const stored = await storedEvents(db.adminUrl);
    await waitFor(
      'every event on Kafka after the outage',
      () => (consumer.eventIds().size >= stored.length ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(consumer.eventIds()).toEqual(new Set(stored.map((event) => event.event_id)));

    const inOffsetOrder = (records: readonly ReceivedRecord[]) =>
      [...records].sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
    for (const tenant of stream.tenants) {
      const committed = stored.filter((event) => event.tenant_id === tenant).map((event) => event.event_id);
      const firstSeen: string[] = [];
      for (const record of inOffsetOrder(consumer.received.filter((r) => r.key === tenant))) {
        const id = record.headers['event-id'] ?? '';
        if (!firstSeen.includes(id)) firstSeen.push(id);
      }
      expect(firstSeen).toEqual(committed);
    }
    await waitFor('the outbox emptied', async () => ((await outboxRows()) === 0 ? true : undefined));
    await waitFor('/ready ok again', async () => ((await ready(port)).status === 'ok' ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
  } finally {
    await stream.close();
    await consumer.stop();
  }
}, 180_000);
