import type { KafkaMessage } from 'kafkajs';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { ProjectedEvent } from '../readmodels/index.ts';
import { DecodedRecords } from './decoded-records.ts';
import { headersOf, UnreadableRecordError } from './incoming-event.ts';

const TOPIC = 'orders.events';

/** One group's copy of a record: each consumer group fetches its own objects. */
function record(offset: number, type = 'OrderPlaced'): KafkaMessage {
  return {
    key: Buffer.from('t'),
    value: Buffer.from([0, 0, 0, 0, 1]),
    timestamp: '0',
    attributes: 0,
    offset: String(offset),
    headers: { 'event-type': Buffer.from(type), 'event-id': Buffer.from(`e-${offset}`) },
  };
}

function eventOf(message: KafkaMessage): ProjectedEvent {
  return {
    eventId: headersOf(message)['event-id'] ?? '',
    type: headersOf(message)['event-type'] ?? '',
    tenantId: 't' as TenantId,
    aggregateId: 'a',
    aggregateVersion: 1,
    globalPosition: Number(message.offset) + 1,
    occurredAt: new Date(0),
    data: {},
  };
}

/**
 * Decodes each record from its headers, counting the calls. Until `known` the
 * writer schema is not fetched (decodeKnown answers undefined, decode fetches);
 * `failures` are thrown first, one per call.
 */
function decoder(options: { failures?: Error[]; known?: boolean } = {}) {
  const failures = options.failures ?? [];
  const calls = { count: 0 };
  let known = options.known ?? true;
  const decodeKnown = (message: KafkaMessage): ProjectedEvent | undefined => {
    if (!known) return undefined;
    calls.count++;
    const failure = failures.shift();
    if (failure) throw failure;
    return eventOf(message);
  };
  return {
    calls,
    decodeKnown,
    async decode(message: KafkaMessage): Promise<ProjectedEvent> {
      known = true;
      const event = decodeKnown(message);
      if (!event) throw new Error('unreachable');
      return event;
    },
  };
}

const everyType = () => true;

test("a record is decoded once for every group's copy, and its headers read once", async () => {
  const counted = decoder();
  const records = new DecodedRecords(counted, new Map([[TOPIC, 3]]), 100);
  const first = record(7);
  const second = record(7);
  const one = (await records.decodeBatch(TOPIC, 0, [first], everyType)).get('7');
  const other = (await records.decodeBatch(TOPIC, 0, [second], everyType)).get('7');
  expect(one).toMatchObject({ eventId: 'e-7' });
  expect(other).toBe(one);
  expect(counted.calls.count).toBe(1);
  expect(headersOf(second)).toBe(headersOf(first));
  // Another partition's record at the same offset is another record.
  await records.decodeBatch(TOPIC, 1, [record(7)], everyType);
  expect(counted.calls.count).toBe(2);
});

test('the first record of a schema waits for the registry; the others are decoded at once', async () => {
  const counted = decoder({ known: false });
  const records = new DecodedRecords(counted, new Map([[TOPIC, 3]]), 100);
  const decoded = await records.decodeBatch(TOPIC, 0, [record(1), record(2)], everyType);
  expect([...decoded.keys()]).toEqual(['1', '2']);
  expect(counted.calls.count).toBe(2);
});

test('a type no one wants is not decoded until a group wants it', async () => {
  const counted = decoder();
  const records = new DecodedRecords(counted, new Map([[TOPIC, 3]]), 100);
  const none = await records.decodeBatch(
    TOPIC,
    0,
    [record(1, 'OrderShipped')],
    (type) => type !== 'OrderShipped',
  );
  expect(none.size).toBe(0);
  expect(counted.calls.count).toBe(0);
  const wanted = await records.decodeBatch(TOPIC, 0, [record(1, 'OrderShipped')], everyType);
  expect(wanted.get('1')).toMatchObject({ eventId: 'e-1' });
});

test('an unreadable record is kept as such; a dependency away is tried again', async () => {
  const unreadable = new UnreadableRecordError('not Avro');
  const counted = decoder({ failures: [unreadable, new Error('registry away')] });
  const records = new DecodedRecords(counted, new Map([[TOPIC, 3]]), 100);
  expect((await records.decodeBatch(TOPIC, 0, [record(1)], everyType)).get('1')).toBe(unreadable);
  expect((await records.decodeBatch(TOPIC, 0, [record(1)], everyType)).get('1')).toBe(unreadable);
  await expect(records.decodeBatch(TOPIC, 0, [record(2)], everyType)).rejects.toThrow('registry away');
  expect((await records.decodeBatch(TOPIC, 0, [record(2)], everyType)).get('2')).toMatchObject({
    eventId: 'e-2',
  });
  expect(counted.calls.count).toBe(3);
});

test('a record every group of the process has reached is let go', async () => {
  const counted = decoder();
  const records = new DecodedRecords(counted, new Map([[TOPIC, 2]]), 100);
  await records.decodeBatch(TOPIC, 0, [record(1)], everyType);
  await records.decodeBatch(TOPIC, 0, [record(1)], everyType);
  expect(counted.calls.count).toBe(1);
  // Redelivered after both groups had it (a rebalance): decoded again.
  await records.decodeBatch(TOPIC, 0, [record(1)], everyType);
  expect(counted.calls.count).toBe(2);
});

test("past its capacity a partition's oldest records go", async () => {
  const counted = decoder();
  const records = new DecodedRecords(counted, new Map([[TOPIC, 3]]), 2);
  await records.decodeBatch(TOPIC, 0, [record(1), record(2), record(3)], everyType);
  await records.decodeBatch(TOPIC, 1, [record(1)], everyType);
  await records.decodeBatch(TOPIC, 0, [record(3)], everyType);
  expect(counted.calls.count).toBe(4);
  await records.decodeBatch(TOPIC, 0, [record(1)], everyType);
  expect(counted.calls.count).toBe(5);
});

test('with one group reading the topic nothing is kept: each visit decodes, as the group wants', async () => {
  const unreadable = new UnreadableRecordError('not Avro');
  const counted = decoder({ known: false, failures: [unreadable] });
  const records = new DecodedRecords(counted, new Map([[TOPIC, 1]]), 100);
  const decoded = await records.decodeBatch(
    TOPIC,
    0,
    [record(1), record(2), record(3, 'OrderShipped')],
    (type) => type !== 'OrderShipped',
  );
  expect(decoded.get('1')).toBe(unreadable);
  expect(decoded.get('2')).toMatchObject({ eventId: 'e-2' });
  expect(decoded.has('3')).toBe(false);
  expect(counted.calls.count).toBe(2);
  // Redelivered (a rebalance, a retried batch): decoded again, nothing having been kept.
  await records.decodeBatch(TOPIC, 0, [record(2)], everyType);
  expect(counted.calls.count).toBe(3);
});
