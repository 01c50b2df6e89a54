import { type Admin, type Consumer, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { leadersElected } from '../../services/messaging/index.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';

const kafka = new Kafka({
  clientId: 'eventline-infra-test',
  brokers: endpoints().kafkaBrokers,
  logLevel: logLevel.NOTHING,
});

let admin: Admin;
const opened: Array<Producer | Consumer> = [];

function producer(options: Parameters<Kafka['producer']>[0] = {}): Producer {
  const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...options });
  opened.push(p);
  return p;
}

function consumer(
  groupId: string,
  options: Omit<Parameters<Kafka['consumer']>[0], 'groupId'> = {},
): Consumer {
  const c = kafka.consumer({ groupId, ...options });
  opened.push(c);
  return c;
}

async function createTopic(partitions: number): Promise<string> {
  const topic = uniqueName('infra');
  await admin.createTopics({
    topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    waitForLeaders: false,
  });
  // Not kafkajs' waitForLeaders: it gives up on a fresh broker still answering UNKNOWN_TOPIC_OR_PARTITION.
  await leadersElected(admin, [topic]);
  return topic;
}

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((client) => client.disconnect()));
});

afterAll(async () => {
  await admin.disconnect();
});

test('admin creates a topic with the partitions asked for', async () => {
  const topic = await createTopic(4);
  const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
  expect(metadata?.partitions).toHaveLength(4);
});

test('a consumer group receives what a producer sent, keyed records in one partition', async () => {
  const topic = await createTopic(3);
  const p = producer();
  await p.connect();
  await p.send({
    topic,
    messages: Array.from({ length: 10 }, (_, i) => ({ key: 'tenant-a', value: `m${i}` })),
  });

  const c = consumer(uniqueName('group'));
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  const received: Array<{ partition: number; value: string }> = [];
  await c.run({
    eachMessage: async ({ partition, message }) => {
      received.push({ partition, value: message.value?.toString() ?? '' });
    },
  });
  await waitFor('10 messages', () => (received.length >= 10 ? true : undefined));
  expect(received.map((r) => r.value)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
  expect(new Set(received.map((r) => r.partition)).size).toBe(1);
});

test('two consumers of one group split the partitions between them', async () => {
  const topic = await createTopic(4);
  const groupId = uniqueName('group');
  const assignments = new Map<string, number[]>();
  const members = [consumer(groupId), consumer(groupId)];
  await Promise.all(
    members.map(async (member, index) => {
      member.on(member.events.GROUP_JOIN, (event) => {
        assignments.set(`member-${index}`, event.payload.memberAssignment[topic] ?? []);
      });
      await member.connect();
      await member.subscribe({ topic, fromBeginning: true });
      await member.run({ eachMessage: async () => {} });
    }),
  );
  // A member keeps its old assignment until the rebalance reaches it: wait for the settled split.
  const split = await waitFor('the partitions split between both members', () => {
    const all = [...assignments.values()];
    const settled =
      all.length === 2 &&
      all.every((partitions) => partitions.length > 0) &&
      JSON.stringify(all.flat().sort()) === JSON.stringify([0, 1, 2, 3]);
    return settled ? all : undefined;
  });
  expect(split.map((partitions) => partitions.length).sort()).toEqual([2, 2]);
});

test('committed offsets survive a consumer restart', async () => {
  const topic = await createTopic(1);
  const groupId = uniqueName('group');
  const p = producer();
  await p.connect();
  await p.send({ topic, messages: [{ value: 'first' }, { value: 'second' }] });

  const seen: string[] = [];
  const first = consumer(groupId);
  await first.connect();
  await first.subscribe({ topic, fromBeginning: true });
  await first.run({ eachMessage: async ({ message }) => void seen.push(message.value?.toString() ?? '') });
  await waitFor('first two messages', () => (seen.length === 2 ? true : undefined));
  await first.disconnect();

  await p.send({ topic, messages: [{ value: 'third' }] });
  const afterRestart: string[] = [];
  const second = consumer(groupId);
  await second.connect();
  await second.subscribe({ topic, fromBeginning: true });
  await second.run({
    eachMessage: async ({ message }) => void afterRestart.push(message.value?.toString() ?? ''),
  });
  await waitFor('the message sent after the restart', () => (afterRestart.length >= 1 ? true : undefined));
  expect(afterRestart).toEqual(['third']);
  expect(seen).toEqual(['first', 'second']);
});

test('a read_committed consumer sees a committed transaction and never an aborted one', async () => {
  const topic = await createTopic(1);
  const p = producer({ transactionalId: uniqueName('tx'), idempotent: true, maxInFlightRequests: 1 });
  await p.connect();

  const aborted = await p.transaction();
  await aborted.send({ topic, messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] });
  await aborted.abort();
  const committed = await p.transaction();
  await committed.send({ topic, messages: [{ value: 'committed-1' }, { value: 'committed-2' }] });
  await committed.commit();
  const marker = await p.transaction();
  await marker.send({ topic, messages: [{ value: 'end' }] });
  await marker.commit();

  const values: string[] = [];
  const c = consumer(uniqueName('group'), { readUncommitted: false });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  await c.run({ eachMessage: async ({ message }) => void values.push(message.value?.toString() ?? '') });
  await waitFor('the end marker', () => (values.includes('end') ? true : undefined));
  expect(values).toEqual(['committed-1', 'committed-2', 'end']);
});
