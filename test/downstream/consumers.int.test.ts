import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { IHeaders, Producer } from 'kafkajs';
import { boundedContexts } from '../../services/domain/contexts.ts';
import { leadersElected } from '../../services/messaging/index.ts';
import { projectRoot } from '../../services/platform/paths/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { startTestRelay } from '../projector/pipeline.ts';
import {
  applyTestTopology,
  asOwner,
  deleteSubjects,
  javaPartition,
  kafkaAt,
  type ReceivedRecord,
  recordTopics,
} from '../relay/harness.ts';
import { endpoints } from '../support/endpoints.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { type ConsumerLanguage, installConsumers, runConsumer } from './consumer-process.ts';
import { driveEveryEventType } from './pipeline-events.ts';

// The downstream contract (docs/contracts.md §8) as a team in another language meets it:
// examples/consumers/python (confluent-kafka) and examples/consumers/go (franz-go) read
// topics the real gateway and relay filled with every event type of every context, with
// nothing but the brokers and the registry URL, and check every record.

const prefix = `${uniqueName('downstream')}.`;
const topics = boundedContexts.map((decider) => `${prefix}${decider.context}.events`);
const everyEventType = boundedContexts.flatMap((decider) => Object.keys(decider.events)).sort();
const languages: readonly ConsumerLanguage[] = ['python', 'go'];
const checkpoints = (language: ConsumerLanguage) =>
  join(projectRoot(), '.run', 'downstream', `${prefix}${language}-checkpoints.json`);
/** A consumer run's deadline in jest: above runConsumer's own, so its message (with stderr) is the one seen. */
const RUN_TIMEOUT_MS = 150_000;
/** Records sent again as the relay does after a crash: same key, value and headers, later offsets. */
const REPUBLISHED = 6;

let gw: TestGateway;
let relay: RunningRelay | undefined;
let producer: Producer | undefined;
let stored: Record<string, number>;
let storedTotal: number;
let published: readonly ReceivedRecord[];
let republished: readonly ReceivedRecord[];

function copyOf(record: ReceivedRecord, headers: IHeaders = record.headers) {
  return { key: record.key, value: record.value, headers };
}

beforeAll(async () => {
  const [installed] = await Promise.all([
    installConsumers(),
    (async () => {
      gw = await startTestGateway();
      await applyTestTopology(prefix, endpoints().kafkaBrokers);
      relay = await startTestRelay(gw.db, prefix);
    })(),
  ]);
  if (process.env.DOWNSTREAM_TEST_VERBOSE) console.log(installed);

  const recorder = await recordTopics(endpoints().kafkaBrokers, topics);
  try {
    await driveEveryEventType(gw, 4, 6);
    const counts = await asOwner<{ event_type: string; n: number }>(
      gw.db.adminUrl,
      'SELECT event_type, count(*)::int AS n FROM events GROUP BY event_type',
    );
    stored = Object.fromEntries(counts.map((row) => [row.event_type, row.n]));
    storedTotal = counts.reduce((sum, row) => sum + row.n, 0);
    await waitFor('every stored event on Kafka', () =>
      recorder.eventIds().size >= storedTotal ? true : undefined,
    );
    published = [...recorder.received];
  } finally {
    await recorder.stop();
  }

  producer = kafkaAt(endpoints().kafkaBrokers).producer();
  await producer.connect();
  // Spread over both topics: each goes back to its own partition, after everything else there.
  republished = topics.flatMap((topic) =>
    published.filter((record) => record.topic === topic).slice(0, REPUBLISHED / topics.length),
  );
  for (const record of republished) {
    await producer.send({
      topic: record.topic,
      messages: [{ ...copyOf(record), partition: record.partition }],
    });
  }
}, 600_000);

afterAll(async () => {
  await producer?.disconnect();
  await relay?.close();
  await gw?.stop();
  await deleteSubjects(prefix);
  await Promise.all(languages.map((language) => rm(checkpoints(language), { force: true })));
});

test('the pipeline put every event type of every context on the topics', () => {
  expect(Object.keys(stored).sort()).toEqual(everyEventType);
  expect(published).toHaveLength(storedTotal);
});

describe.each(languages)('the %s consumer', (language) => {
  test(
    'decodes every record by the registry alone, finds every header and partition right, and deduplicates by event-cursor',
    async () => {
      const { code, summary } = await runConsumer(language, topics, { checkpoints: checkpoints(language) });
      expect(summary.failures).toEqual([]);
      expect(code).toBe(0);
      expect(summary).toMatchObject({
        records: storedTotal + REPUBLISHED,
        delivered: storedTotal,
        duplicates: REPUBLISHED,
        behindCheckpoint: 0,
        // Every command was sent within a trace; what the relay's own independent reader saw with one.
        withTraceparent: [...published, ...republished].filter((record) => 'traceparent' in record.headers)
          .length,
        failureCount: 0,
      });
      expect(summary.eventTypes).toEqual(stored);
      for (const topic of topics) {
        const onTopic = published.filter((record) => record.topic === topic).length;
        expect(summary.topics[topic]).toMatchObject({
          records: onTopic + REPUBLISHED / topics.length,
          delivered: onTopic,
        });
      }
    },
    RUN_TIMEOUT_MS,
  );

  test(
    'resumes from its checkpoints: nothing is delivered twice',
    async () => {
      const { code, summary } = await runConsumer(language, topics, { checkpoints: checkpoints(language) });
      expect(summary.failures).toEqual([]);
      expect(code).toBe(0);
      expect(summary).toMatchObject({ delivered: 0, behindCheckpoint: storedTotal + REPUBLISHED });
    },
    RUN_TIMEOUT_MS,
  );
});

test(
  'both refuse a topic that breaks the contract, naming each break, and exit 1',
  async () => {
    const broken = `${prefix}broken.events`;
    const admin = kafkaAt(endpoints().kafkaBrokers).admin();
    await admin.connect();
    try {
      await admin.createTopics({ waitForLeaders: false, topics: [{ topic: broken, numPartitions: 3 }] });
      await leadersElected(admin, [broken]);
    } finally {
      await admin.disconnect();
    }
    const byKey = new Map<string, ReceivedRecord[]>();
    for (const record of published.filter((each) => each.topic === topics[1])) {
      byKey.set(record.key, [...(byKey.get(record.key) ?? []), record]);
    }
    const [first, second, third] = [...byKey.values()];
    if (!first || !second || !third) throw new Error('expected three tenants with orders');
    const [earlier, later] = [...first].sort((a, b) => Number(a.offset) - Number(b.offset));
    if (!earlier || !later) throw new Error('expected two events of one tenant');
    const partition = (record: ReceivedRecord) => javaPartition(broken, record.key, 3);
    const { 'event-cursor': _dropped, ...withoutCursor } = second[0]!.headers;
    await producer!.send({
      topic: broken,
      messages: [
        // In order on its partition: a cursor, then a new event whose cursor is lower.
        { ...copyOf(later), partition: partition(later) },
        {
          ...copyOf(earlier, { ...earlier.headers, 'event-id': randomUUID() }),
          partition: partition(earlier),
        },
        { ...copyOf(second[0]!, withoutCursor), partition: partition(second[0]!) },
        { ...copyOf(third[0]!), partition: (partition(third[0]!) + 1) % 3 },
        {
          ...copyOf(third[1] ?? third[0]!),
          value: third[0]!.value.subarray(0, 5),
          partition: partition(third[0]!),
        },
      ],
    });

    for (const language of languages) {
      const { code, summary } = await runConsumer(language, [broken]);
      const reasons = summary.failures.map((failure) => failure.reason).join('\n');
      expect({ language, code }).toEqual({ language, code: 1 });
      for (const expected of [
        'event-cursor went backwards',
        'missing headers: event-cursor',
        'the Java client puts this key in',
        'not the Confluent wire format with a body',
        // Nothing registered subjects under this topic's name.
        `has no subject ${broken}-eventline.orders.`,
      ]) {
        expect({ language, reasons }).toEqual({ language, reasons: expect.stringContaining(expected) });
      }
    }
  },
  2 * RUN_TIMEOUT_MS,
);
