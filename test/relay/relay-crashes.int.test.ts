import { endpoints } from '../support/endpoints.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { CommandStream, storedEvents } from './command-stream.ts';
import {
  applyTestTopology,
  deleteSubjects,
  type ReceivedRecord,
  recordTopics,
  type RelayProcess,
  startRelayProcess,
} from './harness.ts';

let db: TestDatabase;
const prefix = `${uniqueName('relaykill')}.`;
const ordersTopic = `${prefix}orders.events`;
const relays: RelayProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase('relaykill');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
});

afterAll(async () => {
  await Promise.all(relays.map((relay) => relay.kill('SIGKILL')));
  await db.drop();
  await deleteSubjects(prefix);
});

/** Kafka's order of a tenant's records (one partition: offset order). */
function inOffsetOrder(records: readonly ReceivedRecord[]): ReceivedRecord[] {
  return [...records].sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
}

test('two replicas, SIGKILLed at random moments mid-stream and restarted: nothing lost, tenant order kept, duplicates only of the same event', async () => {
  const start = () => startRelayProcess({ relayUrl: db.relayUrl, prefix });
  relays.push(await start(), await start());
  const consumer = await recordTopics(endpoints().kafkaBrokers, [ordersTopic]);
  const stream = await CommandStream.open(db.appUrl, 40);
  // The stream goes on until every kill has happened, so each one lands mid-stream however fast the machine.
  const KILLS = 4;
  let killed = false;
  const chaos = (async () => {
    for (let kill = 0; kill < KILLS; kill++) {
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 400));
      const victim = Math.floor(Math.random() * relays.length);
      await relays[victim]?.kill('SIGKILL');
      relays[victim] = await start();
    }
  })().finally(() => {
    killed = true;
  });
  let rounds = 0;
  try {
    while (rounds < 6 || !killed) {
      await stream.run(1, 4);
      rounds++;
    }
    await chaos;
    const stored = await storedEvents(db.adminUrl);
    expect(stored).toHaveLength(40 * rounds * 5);
    await waitFor(
      'every event on Kafka',
      () => (consumer.eventIds().size >= stored.length ? true : undefined),
      {
        timeoutMs: 45_000,
      },
    );

    const firstById = new Map<string, ReceivedRecord>();
    for (const record of inOffsetOrder(consumer.received)) {
      const id = record.headers['event-id'] ?? '';
      const first = firstById.get(id);
      if (!first) {
        firstById.set(id, record);
        continue;
      }
      // A duplicate is the same record again: same value, same headers, same partition.
      expect(record.value.equals(first.value)).toBe(true);
      expect(record.headers).toEqual(first.headers);
      expect(record.partition).toBe(first.partition);
    }
    expect(new Set(firstById.keys())).toEqual(new Set(stored.map((event) => event.event_id)));
    for (const tenant of stream.tenants) {
      const committed = stored.filter((event) => event.tenant_id === tenant).map((event) => event.event_id);
      const seen = new Set<string>();
      const published: string[] = [];
      for (const record of inOffsetOrder(consumer.received.filter((r) => r.key === tenant))) {
        const id = record.headers['event-id'] ?? '';
        if (!seen.has(id)) published.push(id);
        seen.add(id);
      }
      expect(published).toEqual(committed);
      // What a downstream consumer does with the cursor: skip a record not above the last one
      // seen. Through every re-publish of the crashes, that keeps each event exactly once, in order.
      let last = '';
      const deduplicated: string[] = [];
      for (const record of inOffsetOrder(consumer.received.filter((r) => r.key === tenant))) {
        const cursor = String(record.headers['event-cursor']);
        if (cursor <= last) continue;
        last = cursor;
        deduplicated.push(record.headers['event-id'] ?? '');
      }
      expect(deduplicated).toEqual(committed);
    }
  } finally {
    await chaos.catch(() => undefined);
    await stream.close();
    await consumer.stop();
  }
}, 150_000);
