import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { CommandStream, storedEvents } from './command-stream.ts';
import {
  applyTestTopology,
  asOwner,
  deleteSubjects,
  type ReceivedRecord,
  recordTopics,
  type RelayProcess,
  startRelayProcess,
} from './harness.ts';

// Whether two replicas drain faster than one is measured by `make bench` (relay drain, one
// and two replicas): on a shared two-core machine a timing assertion here would be noise.
// This test holds two replicas to the guarantees and checks that they really share the work.

let db: TestDatabase;
const prefix = `${uniqueName('relaytwo')}.`;
const ordersTopic = `${prefix}orders.events`;
const relays: RelayProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase('relaytwo');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
});

afterAll(async () => {
  await Promise.all(relays.map((relay) => relay.kill('SIGTERM')));
  await db?.drop();
  await deleteSubjects(prefix);
});

async function published(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...text.matchAll(/^eventline_relay_events_published_total\{[^}]*\} (\d+)/gm)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
}

test('two replicas at once split the lanes between them, both publish, and every tenant’s events arrive in commit order', async () => {
  relays.push(
    await startRelayProcess({ relayUrl: db.relayUrl, prefix }),
    await startRelayProcess({ relayUrl: db.relayUrl, prefix }),
  );
  const holders = await waitFor(
    'the lanes split between the two replicas',
    async () => {
      const rows = await asOwner<{ holder: string; lanes: string }>(
        db.adminUrl,
        `SELECT holder, count(*) AS lanes FROM relay_lanes
          WHERE holder IS NOT NULL AND expires_at > now() GROUP BY holder`,
      );
      return rows.length === 2 && rows.every((row) => row.lanes === '32') ? rows : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  expect(holders).toHaveLength(2);

  const consumer = await recordTopics(endpoints().kafkaBrokers, [ordersTopic]);
  const stream = await CommandStream.open(db.appUrl, 40);
  try {
    await stream.run(3, 3);
    const stored = await storedEvents(db.adminUrl);
    expect(stored).toHaveLength(40 * 3 * 4);
    await waitFor(
      'every event on Kafka',
      () => (consumer.eventIds().size >= stored.length ? true : undefined),
      { timeoutMs: 45_000 },
    );
    expect(consumer.eventIds()).toEqual(new Set(stored.map((event) => event.event_id)));

    const inOffsetOrder = (records: readonly ReceivedRecord[]) =>
      [...records].sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
    const firstById = new Map<string, ReceivedRecord>();
    for (const record of inOffsetOrder(consumer.received)) {
      const first = firstById.get(record.headers['event-id'] ?? '');
      if (!first) firstById.set(record.headers['event-id'] ?? '', record);
      else expect(record.value.equals(first.value)).toBe(true);
    }
    for (const tenant of stream.tenants) {
      const committed = stored.filter((event) => event.tenant_id === tenant).map((event) => event.event_id);
      const firstSeen: string[] = [];
      for (const record of inOffsetOrder(consumer.received.filter((r) => r.key === tenant))) {
        const id = record.headers['event-id'] ?? '';
        if (!firstSeen.includes(id)) firstSeen.push(id);
      }
      expect(firstSeen).toEqual(committed);
    }

    // Both did part of the work: 40 tenants over 64 lanes land in both halves.
    const counts = await Promise.all(relays.map((relay) => published(relay.port)));
    for (const count of counts) expect(count).toBeGreaterThan(0);
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(stored.length);
  } finally {
    await stream.close();
    await consumer.stop();
  }
}, 120_000);
