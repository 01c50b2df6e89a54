import { endpoints } from '../support/endpoints.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { eventCursor } from '../../services/eventstore/index.ts';
import { startRelay, type RunningRelay } from '../../services/relay/index.ts';
import { createLogger } from '../../services/platform/telemetry/index.ts';
import type { TenantId } from '../../services/platform/tenancy/index.ts';
import { CommandStream, storedEvents } from './command-stream.ts';
import {
  applyTestTopology,
  asOwner,
  deleteSubjects,
  javaPartition,
  recordTopics,
  registry,
} from './harness.ts';

const HEADERS = [
  'event-id',
  'event-type',
  'event-schema-version',
  'aggregate-type',
  'aggregate-id',
  'aggregate-version',
  'tenant-id',
  'global-position',
  'correlation-id',
  'causation-id',
  'occurred-at',
  'event-cursor',
];
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

let db: TestDatabase;
let relay: RunningRelay | undefined;
const prefix = `${uniqueName('relay')}.`;
const ordersTopic = `${prefix}orders.events`;
let partitions: Map<string, number>;

beforeAll(async () => {
  db = await createTestDatabase('relay');
  partitions = await applyTestTopology(prefix, endpoints().kafkaBrokers);
});

afterAll(async () => {
  await relay?.close();
  await db.drop();
  await deleteSubjects(prefix);
});

async function metrics(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

test('every appended event arrives once, decodes, carries every header and sits in its tenant’s Java partition', async () => {
  relay = await startRelay({
    databaseUrl: db.relayUrl,
    kafka: { brokers: endpoints().kafkaBrokers },
    schemaRegistry: { url: endpoints().schemaRegistryUrl },
    topicPrefix: prefix,
    host: '127.0.0.1',
    port: 0,
    log: createLogger('relay', 'silent'),
  });
  const consumer = await recordTopics(endpoints().kafkaBrokers, [ordersTopic]);
  const stream = await CommandStream.open(db.appUrl, 12);
  try {
    await stream.run(2, 3, { traceparent: TRACEPARENT });
    const stored = await storedEvents(db.adminUrl);
    expect(stored).toHaveLength(12 * 2 * 4);
    await waitFor(
      'every event on Kafka',
      () => (consumer.eventIds().size >= stored.length ? true : undefined),
      {
        timeoutMs: 30_000,
      },
    );

    const byId = new Map(consumer.received.map((record) => [record.headers['event-id'], record]));
    expect(consumer.received).toHaveLength(stored.length);
    const decoder = registry();
    for (const event of stored) {
      const record = byId.get(event.event_id);
      if (!record) throw new Error(`event ${event.event_id} never arrived`);
      expect(record.topic).toBe(ordersTopic);
      expect(record.key).toBe(event.tenant_id);
      expect(record.partition).toBe(
        javaPartition(ordersTopic, event.tenant_id, partitions.get(ordersTopic) ?? 0),
      );
      expect(record.value[0]).toBe(0);
      expect(await decoder.decode(record.value)).toEqual(event.data);
      for (const header of HEADERS) expect(record.headers).toHaveProperty([header]);
      expect(record.headers).toMatchObject({
        'event-type': event.event_type,
        'event-schema-version': String(event.schema_version),
        'aggregate-type': event.stream_type,
        'aggregate-id': event.stream_id,
        'aggregate-version': String(event.stream_version),
        'tenant-id': event.tenant_id,
        'global-position': event.global_position,
        'correlation-id': event.correlation_id,
        'causation-id': event.causation_id,
        'occurred-at': event.occurred_at.toISOString(),
        'event-cursor': eventCursor({
          transactionId: event.transaction_id,
          position: Number(event.global_position),
        }),
        traceparent: TRACEPARENT,
      });
    }
    // Per tenant, Kafka's order (one partition) is commit order.
    for (const tenant of stream.tenants) {
      const committed = stored.filter((event) => event.tenant_id === tenant).map((event) => event.event_id);
      const published = consumer.received
        .filter((record) => record.key === tenant)
        .sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)))
        .map((record) => record.headers['event-id']);
      expect(published).toEqual(committed);
      // The cursor rises strictly along the tenant's records, compared as strings, as consumers do.
      const cursors = consumer.received
        .filter((record) => record.key === tenant)
        .sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)))
        .map((record) => String(record.headers['event-cursor']));
      expect(cursors.every((cursor, i) => i === 0 || cursor > (cursors[i - 1] as string))).toBe(true);
    }

    // Published rows are pruned; the events stay.
    await waitFor('the outbox emptied', async () =>
      (await asOwner<{ n: string }>(db.adminUrl, 'SELECT count(*) AS n FROM outbox'))[0]?.n === '0'
        ? true
        : undefined,
    );
    const text = await metrics(relay.port);
    expect(text).toMatch(/eventline_relay_events_published_total\{topic="[^"]+",component="relay"\} 96/);
    expect(text).toContain('eventline_relay_commit_to_ack_seconds_bucket');
    expect(text).toContain('eventline_relay_batch_size_bucket');
    expect(text).toMatch(/eventline_relay_outbox_backlog_rows\{component="relay"\} 0/);
    expect(text).toContain('eventline_relay_outbox_oldest_age_seconds');
    expect(text).toMatch(/circuit_breaker_state\{dependency="kafka",component="relay"\} 0/);
    const ready = await fetch(`http://127.0.0.1:${relay.port}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok' });
  } finally {
    await stream.close();
    await consumer.stop();
  }
});

test('an event that cannot be encoded halts its tenant only, loudly; fixed and resumed, it goes out', async () => {
  if (!relay) throw new Error('the first test starts the relay');
  // The subject already holds a schema the relay's OrderItemAdded cannot follow (it adds
  // fields without defaults): the registry refuses it, so those events cannot be encoded.
  const subject = `${ordersTopic}-eventline.orders.OrderItemAdded`;
  const base = endpoints().schemaRegistryUrl;
  await fetch(`${base}/subjects/${encodeURIComponent(subject)}`, { method: 'DELETE' });
  await fetch(`${base}/subjects/${encodeURIComponent(subject)}?permanent=true`, { method: 'DELETE' });
  const blocking = {
    type: 'record',
    name: 'OrderItemAdded',
    namespace: 'eventline.orders',
    fields: [{ name: 'sku', type: 'string' }],
  };
  const registered = await fetch(`${base}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(blocking) }),
  });
  expect(registered.ok).toBe(true);

  // A fresh relay, so no schema id is cached from the first test.
  await relay.close();
  relay = await startRelay({
    databaseUrl: db.relayUrl,
    kafka: { brokers: endpoints().kafkaBrokers },
    schemaRegistry: { url: endpoints().schemaRegistryUrl },
    topicPrefix: prefix,
    host: '127.0.0.1',
    port: 0,
    log: createLogger('relay', 'silent'),
  });
  const consumer = await recordTopics(endpoints().kafkaBrokers, [ordersTopic]);
  const stream = await CommandStream.open(db.appUrl, 2);
  const [stuck, healthy] = [stream.tenants[0] as TenantId, stream.tenants[1] as TenantId];
  try {
    const before = new Set((await storedEvents(db.adminUrl)).map((event) => event.event_id));
    await stream.order(stuck, 1); // OrderPlaced, then an OrderItemAdded that cannot be encoded
    await stream.order(healthy, 0); // OrderPlaced only
    await stream.order(stuck, 0); // after the stuck event: must wait behind it
    const fresh = (await storedEvents(db.adminUrl)).filter((event) => !before.has(event.event_id));
    const [placed, itemAdded, placedAgain] = fresh.filter((event) => event.tenant_id === stuck);
    const healthyPlaced = fresh.find((event) => event.tenant_id === healthy);

    await waitFor('the healthy tenant published', () =>
      consumer.eventIds().has(healthyPlaced?.event_id) ? true : undefined,
    );
    const halted = await waitFor('the stuck tenant halted', async () => {
      const rows = await asOwner<{ event_id: string; reason: string }>(
        db.adminUrl,
        'SELECT event_id, reason FROM relay_halted_tenants WHERE tenant_id = $1',
        [stuck],
      );
      return rows[0];
    });
    expect(halted.event_id).toBe(itemAdded?.event_id);
    expect(consumer.eventIds().has(placed?.event_id)).toBe(true);
    expect(consumer.eventIds().has(itemAdded?.event_id)).toBe(false);
    expect(consumer.eventIds().has(placedAgain?.event_id)).toBe(false);
    expect(await metrics(relay.port)).toMatch(
      /eventline_relay_errors_total\{kind="encoding",component="relay"\} [1-9]/,
    );

    // The operator fixes the subject and resumes the tenant: its events follow, in order.
    await fetch(`${base}/subjects/${encodeURIComponent(subject)}`, { method: 'DELETE' });
    await fetch(`${base}/subjects/${encodeURIComponent(subject)}?permanent=true`, { method: 'DELETE' });
    await asOwner(db.adminUrl, 'DELETE FROM relay_halted_tenants WHERE tenant_id = $1', [stuck]);
    // Written at once, it lies ahead of the cursor, which has passed the tenant's older rows.
    await stream.order(stuck, 0);
    const known = new Set([...before, ...fresh.map((event) => event.event_id)]);
    const latest = (await storedEvents(db.adminUrl)).find(
      (event) => event.tenant_id === stuck && !known.has(event.event_id),
    );
    await waitFor(
      'the resumed tenant published',
      () => (consumer.eventIds().has(latest?.event_id) ? true : undefined),
      { timeoutMs: 15_000 },
    );
    const order = consumer.received
      .filter((record) => record.key === stuck)
      .map((record) => record.headers['event-id']);
    expect(order).toEqual([placed?.event_id, itemAdded?.event_id, placedAgain?.event_id, latest?.event_id]);
  } finally {
    await stream.close();
    await consumer.stop();
  }
});
