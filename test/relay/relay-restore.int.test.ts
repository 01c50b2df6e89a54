import pg from 'pg';
import { startRelay, type RunningRelay } from '../../services/relay/index.ts';
import { capturedLogger, type LogLine } from '../support/captured-logger.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { metricSeries } from '../support/metrics.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { CommandStream } from './command-stream.ts';
import { applyTestTopology, asOwner, deleteSubjects, javaPartition, recordTopics } from './harness.ts';

// A point-in-time restore leaves Kafka holding events the store no longer has:
// the relay must refuse to publish until an operator chooses (docs/recovery.md).

let db: TestDatabase;
let relay: RunningRelay | undefined;
const prefix = `${uniqueName('restore')}.`;
const nextGeneration = `${uniqueName('restore2')}.`;
const ordersTopic = `${prefix}orders.events`;
const brokers = endpoints().kafkaBrokers;
let partitions: Map<string, number>;

beforeAll(async () => {
  db = await createTestDatabase('restore');
  partitions = await applyTestTopology(prefix, brokers);
  await applyTestTopology(nextGeneration, brokers);
});

afterAll(async () => {
  await relay?.close();
  await db.drop();
  await deleteSubjects(prefix);
  await deleteSubjects(nextGeneration);
});

/** A relay on the topics of `topicPrefix`; its log lines go to `log`. */
async function start(
  topicPrefix: string,
  log: LogLine[] = [],
  acceptRestore?: string,
): Promise<RunningRelay> {
  const captured = capturedLogger('relay', log);
  return startRelay({
    databaseUrl: db.relayUrl,
    kafka: { brokers },
    schemaRegistry: { url: endpoints().schemaRegistryUrl },
    topicPrefix,
    host: '127.0.0.1',
    port: 0,
    log: captured.log,
    acceptRestore,
  });
}

interface Report {
  readonly http: number;
  readonly status: string;
  readonly checks: Record<string, { status: string; error?: string }>;
}

async function ready(port: number): Promise<Report> {
  const response = await fetch(`http://127.0.0.1:${port}/ready`);
  const body = (await response.json()) as Omit<Report, 'http'>;
  return { http: response.status, ...body };
}

async function gauge(port: number, name: string): Promise<number | undefined> {
  return (await metricSeries(`http://127.0.0.1:${port}`, name)).get('component="relay"');
}

async function outboxRows(): Promise<number> {
  const [row] = await asOwner<{ rows: number }>(db.adminUrl, 'SELECT count(*)::int AS rows FROM outbox');
  return row?.rows ?? -1;
}

/**
 * What a point-in-time restore to just after `position` leaves: the events,
 * outbox rows, snapshots and stream versions written since are gone, and the
 * positions' sequence is back where it was. Done as the schema owner, who
 * alone may lift the events' append-only trigger. (Transaction ids cannot go
 * back on a running server: a real restore's do, and the relay checks them too.)
 */
async function restoreTo(position: string): Promise<void> {
  const client = new pg.Client({ connectionString: db.adminUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('ALTER TABLE events DISABLE TRIGGER events_are_append_only_rows');
    await client.query('DELETE FROM events WHERE global_position > $1', [position]);
    await client.query('ALTER TABLE events ENABLE TRIGGER events_are_append_only_rows');
    await client.query('DELETE FROM outbox WHERE global_position > $1', [position]);
    await client.query(`DELETE FROM snapshots s WHERE NOT EXISTS (SELECT FROM events e
                         WHERE (e.tenant_id, e.stream_id, e.stream_version) = (s.tenant_id, s.stream_id, s.stream_version))`);
    await client.query(`DELETE FROM streams s WHERE NOT EXISTS (SELECT FROM events e
                         WHERE (e.tenant_id, e.stream_id) = (s.tenant_id, s.stream_id))`);
    await client.query(`UPDATE streams s SET version = (SELECT max(e.stream_version) FROM events e
                         WHERE (e.tenant_id, e.stream_id) = (s.tenant_id, s.stream_id))`);
    await client.query(
      `ALTER TABLE events ALTER COLUMN global_position RESTART WITH ${BigInt(position) + 1n}`,
    );
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

async function newestPosition(): Promise<string> {
  const [row] = await asOwner<{ position: string }>(
    db.adminUrl,
    'SELECT max(global_position)::text AS position FROM events',
  );
  return row?.position ?? '0';
}

test('restored behind Kafka, the relay refuses with a report until a new topic generation or its id accepted', async () => {
  const stream = await CommandStream.open(db.appUrl, 4);
  const before = await recordTopics(brokers, [ordersTopic]);
  try {
    relay = await start(prefix);
    await stream.run(1, 1);
    await waitFor('the first round on Kafka', () => (before.eventIds().size >= 8 ? true : undefined));
    const restorePoint = await newestPosition();
    await stream.run(1, 1);
    await waitFor('the second round on Kafka', () => (before.eventIds().size >= 16 ? true : undefined));
    await relay.close();
    relay = undefined;

    await restoreTo(restorePoint);
    const lost = new Set(
      before.received.filter(
        (record) => BigInt(record.headers['global-position'] ?? 0) > BigInt(restorePoint),
      ),
    );
    expect(lost.size).toBe(8);
    const behindPartitions = new Set(
      stream.tenants.map((tenant) => javaPartition(ordersTopic, tenant, partitions.get(ordersTopic) ?? 0)),
    );

    // Restarted on the same topics: it refuses, and says so on /ready, in the log and in a metric.
    const log: LogLine[] = [];
    relay = await start(prefix, log);
    const refused = await ready(relay.port);
    expect(refused.http).toBe(503);
    expect(refused.checks['store-vs-kafka']?.status).toBe('down');
    const reason = refused.checks['store-vs-kafka']?.error ?? '';
    expect(reason).toMatch(/event store is behind Kafka/);
    expect(reason).toContain(`the newest record of ${behindPartitions.size} partition(s)`);
    const reportId = /RELAY_ACCEPT_RESTORE=([0-9a-f]{16})/.exec(reason)?.[1] ?? '';
    expect(reportId).toMatch(/^[0-9a-f]{16}$/);
    for (const tenant of stream.tenants) expect(reason).not.toContain(tenant);
    expect(await gauge(relay.port, 'eventline_relay_store_behind_kafka_records')).toBe(behindPartitions.size);
    expect(await gauge(relay.port, 'eventline_relay_lanes_held')).toBe(0);
    const reported = log.find((line) => (line.restore as { id?: string } | undefined)?.id === reportId);
    const restore = reported?.restore as {
      records: { eventId: string; partition: number }[];
      cursorsGoBack: boolean;
      positionsRepeat: boolean;
      kafkaNewestPosition: string;
    };
    expect(reported?.level).toBe('error');
    expect(new Set(restore.records.map((record) => record.partition))).toEqual(behindPartitions);
    const lostIds = new Set([...lost].map((record) => record.headers['event-id']));
    for (const record of restore.records) expect(lostIds.has(record.eventId)).toBe(true);
    expect(restore.cursorsGoBack).toBe(false);
    // The restored sequence would hand out positions the lost records carry.
    expect(restore.positionsRepeat).toBe(true);
    const lostPositions = [...lost].map((record) => BigInt(record.headers['global-position'] ?? 0));
    expect(BigInt(restore.kafkaNewestPosition)).toBe(lostPositions.reduce((a, b) => (a > b ? a : b)));
    expect(reason).toContain(`advance the store's positions past ${restore.kafkaNewestPosition}`);

    // Commands go on meanwhile; their events wait in the outbox.
    await stream.run(1, 0);
    expect(await outboxRows()).toBe(4);
    expect(await gauge(relay.port, 'eventline_relay_lanes_held')).toBe(0);
    await relay.close();

    // The id of another report changes nothing; this report's, neither while positions would repeat.
    relay = await start(prefix, [], '0123456789abcdef');
    expect((await ready(relay.port)).checks['store-vs-kafka']?.status).toBe('down');
    await relay.close();
    const early: LogLine[] = [];
    relay = await start(prefix, early, reportId);
    expect((await ready(relay.port)).checks['store-vs-kafka']?.status).toBe('down');
    expect(early.some((line) => /not past those on Kafka yet/.test(line.msg ?? ''))).toBe(true);
    await relay.close();

    // Option one: a new topic generation. Its topics hold nothing, so the relay publishes there.
    const nextTopic = `${nextGeneration}orders.events`;
    const next = await recordTopics(brokers, [nextTopic]);
    try {
      relay = await start(nextGeneration);
      expect((await ready(relay.port)).checks['store-vs-kafka']?.status).toBe('up');
      await waitFor('the backlog on the new generation', () =>
        next.eventIds().size >= 4 ? true : undefined,
      );
      await waitFor('the outbox drained', async () => ((await outboxRows()) === 0 ? true : undefined));
    } finally {
      await next.stop();
    }
    await relay.close();

    // Option two: the same topics, the report's records left there by its id, recorded once,
    // once the store's positions are past those on Kafka (docs/recovery.md).
    await asOwner(
      db.adminUrl,
      `ALTER TABLE events ALTER COLUMN global_position RESTART WITH ${BigInt(restore.kafkaNewestPosition) + 1n}`,
    );
    await stream.run(1, 0);
    const accepted: LogLine[] = [];
    relay = await start(prefix, accepted, reportId);
    expect((await ready(relay.port)).checks['store-vs-kafka']?.status).toBe('up');
    expect(
      accepted.some((line) => line.level === 'warn' && /RELAY_ACCEPT_RESTORE/.test(line.msg ?? '')),
    ).toBe(true);
    await waitFor('the new events on the old topic', () => (before.eventIds().size >= 20 ? true : undefined));
    await relay.close();
    const [remembered] = await asOwner<{ rows: number }>(
      db.adminUrl,
      'SELECT count(*)::int AS rows FROM relay_accepted_records',
    );
    expect(remembered?.rows).toBe(behindPartitions.size);

    // Once accepted, later starts need no id.
    relay = await start(prefix);
    const after = await ready(relay.port);
    expect(after.checks['store-vs-kafka']?.status).toBe('up');
    expect(await gauge(relay.port, 'eventline_relay_store_behind_kafka_records')).toBe(0);
  } finally {
    await before.stop();
    await stream.close();
  }
}, 120_000);
