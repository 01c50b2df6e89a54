import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { CommandStream, storedEvents } from './command-stream.ts';
import {
  applyTestTopology,
  deleteSubjects,
  recordTopics,
  type RelayProcess,
  startRelayProcess,
} from './harness.ts';

let db: TestDatabase;
const prefix = `${uniqueName('relayterm')}.`;
const ordersTopic = `${prefix}orders.events`;
const relays: RelayProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase('relayterm');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
});

afterAll(async () => {
  await Promise.all(relays.map((relay) => relay.kill('SIGKILL')));
  await db?.drop();
  await deleteSubjects(prefix);
});

test('SIGTERM mid-stream: the relay marks what Kafka acknowledged and exits 0; its successor publishes the rest, nothing twice', async () => {
  const first = await startRelayProcess({ relayUrl: db.relayUrl, prefix });
  relays.push(first);
  const consumer = await recordTopics(endpoints().kafkaBrokers, [ordersTopic]);
  const stream = await CommandStream.open(db.appUrl, 20);
  try {
    const streaming = stream.run(4, 3);
    await waitFor('the relay publishing', () => (consumer.eventIds().size > 0 ? true : undefined), {
      timeoutMs: 30_000,
    });
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    await streaming;
    relays.push(await startRelayProcess({ relayUrl: db.relayUrl, prefix }));

    const stored = await storedEvents(db.adminUrl);
    expect(stored).toHaveLength(20 * 4 * 4);
    await waitFor(
      'every event on Kafka',
      () => (consumer.eventIds().size >= stored.length ? true : undefined),
      { timeoutMs: 45_000 },
    );
    expect(consumer.eventIds()).toEqual(new Set(stored.map((event) => event.event_id)));
    // A graceful stop marks every acknowledged batch, so no event is sent a second time.
    expect(consumer.received).toHaveLength(stored.length);
  } finally {
    await stream.close();
    await consumer.stop();
  }
}, 120_000);
