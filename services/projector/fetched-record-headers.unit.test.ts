import { createRequire } from 'node:module';
import { readFetchedHeadersAsText } from '../messaging/index.ts';

// kafkajs 2.2.4's record decoder as patches/kafkajs+2.2.4.patch leaves it (applied by npm ci's
// postinstall): each record's headers read into one object instead of spread once per header.
// A kafkajs that comes without the patch fails the `constructor` case below.
const require = createRequire(import.meta.url);

interface Encoder {
  readonly buffer: Buffer;
  size(): number;
  writeInt8(value: number): Encoder;
  writeVarInt(value: number): Encoder;
  writeVarLong(value: number): Encoder;
  writeVarIntBytes(value: Buffer | string | null): Encoder;
  writeVarIntArray(value: Encoder[]): Encoder;
  writeEncoder(value: Encoder): Encoder;
}
type FetchedHeaders = Record<string, Buffer | string | null | (Buffer | string | null)[]>;
interface FetchedRecord {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: FetchedHeaders;
}

const kafkajs = 'kafkajs/src/protocol';
const EncoderOf = require(`${kafkajs}/encoder.js`) as new () => Encoder;
const DecoderOf = require(`${kafkajs}/decoder.js`) as new (buffer: Buffer) => unknown;
const header = require(`${kafkajs}/recordBatch/header/v0/index.js`) as (header: {
  key: string;
  value: Buffer | string | null;
}) => Encoder;
const { RecordBatch: recordBatch } = require(`${kafkajs}/recordBatch/v0/index.js`) as {
  RecordBatch: (batch: {
    records: Encoder[];
    lastOffsetDelta: number;
    firstOffset?: unknown;
    firstTimestamp?: number;
  }) => Promise<Encoder>;
};
const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: string): unknown };
const { readHeaderValuesAsText } = require(`${kafkajs}/recordBatch/record/v0/decoder.js`) as {
  readHeaderValuesAsText: (asText: boolean) => void;
};
const decodeRecordBatch = require(`${kafkajs}/recordBatch/v0/decoder.js`) as (
  decoder: unknown,
) => Promise<{ records: FetchedRecord[] }>;

/** A header as sent: a name and value, or one made by rawHeader. */
type SentHeader = readonly [string, Buffer | string | null] | Encoder;

/** A header whose name is raw bytes, not necessarily UTF-8. */
function rawHeader(name: Buffer, value: string): Encoder {
  return new EncoderOf().writeVarIntBytes(name).writeVarIntBytes(value);
}

/** One record on the wire, its headers in the order given (a key may come back). */
function record(offsetDelta: number, headers: readonly SentHeader[], timestampDelta = 0): Encoder {
  const body = new EncoderOf()
    .writeInt8(0)
    .writeVarLong(timestampDelta)
    .writeVarInt(offsetDelta)
    .writeVarIntBytes(`key-${offsetDelta}`)
    .writeVarIntBytes(`value-${offsetDelta}`)
    .writeVarIntArray(headers.map((one) => ('buffer' in one ? one : header({ key: one[0], value: one[1] }))));
  return new EncoderOf().writeVarInt(body.size()).writeEncoder(body);
}

async function fetched(...records: (readonly SentHeader[])[]): Promise<FetchedRecord[]> {
  const batch = await recordBatch({
    records: records.map((headers, offsetDelta) => record(offsetDelta, headers)),
    lastOffsetDelta: records.length - 1,
  });
  return (await decodeRecordBatch(new DecoderOf(batch.buffer))).records;
}

const text = (value: Buffer | string | null | (Buffer | string | null)[] | undefined): unknown =>
  Array.isArray(value) ? value.map(text) : value === null ? null : value?.toString('utf8');

function textOf(headers: FetchedHeaders): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, text(value)]));
}

test('the contract headers of a record, each once, in their order', async () => {
  const contract: [string, string][] = [
    ['event-id', 'e1'],
    ['event-type', 'OrderPlaced'],
    ['event-schema-version', '1'],
    ['aggregate-type', 'Order'],
    ['aggregate-id', 'o1'],
    ['aggregate-version', '3'],
    ['tenant-id', 't1'],
    ['global-position', '42'],
    ['correlation-id', 'é€😀'],
    ['causation-id', ''],
    ['occurred-at', '2026-12-01T00:00:00.000Z'],
  ];
  const [only] = await fetched(contract);
  expect(only?.offset).toBe('0');
  expect(only?.key?.toString()).toBe('key-0');
  expect(only?.value?.toString()).toBe('value-0');
  expect(Object.keys(only?.headers ?? {})).toEqual(contract.map(([key]) => key));
  expect(textOf(only?.headers ?? {})).toEqual(Object.fromEntries(contract));
  expect(Buffer.isBuffer(only?.headers['event-id'])).toBe(true);
});

test('a repeated key gives an array of its values in order, a null value stays null', async () => {
  const [first, second, none] = await fetched(
    [
      ['a', '1'],
      ['b', 'x'],
      ['a', '2'],
      ['a', '3'],
      ['c', null],
      ['c', 'y'],
    ],
    [['d', '4']],
    [],
  );
  expect(textOf(first?.headers ?? {})).toEqual({ a: ['1', '2', '3'], b: 'x', c: [null, 'y'] });
  expect(Object.keys(first?.headers ?? {})).toEqual(['a', 'b', 'c']);
  expect(textOf(second?.headers ?? {})).toEqual({ d: '4' });
  expect(second?.offset).toBe('1');
  expect(none?.headers).toEqual({});
});

test('many headers, and keys named like Object.prototype members, are plain own headers', async () => {
  const many = Array.from({ length: 2_000 }, (_, index): [string, string] => [
    `h${index % 1_000}`,
    `${index}`,
  ]);
  const [crowded, odd] = await fetched(many, [
    ['constructor', 'c'],
    ['__proto__', 'p'],
    ['toString', 't'],
    ['__proto__', 'q'],
  ]);
  const headers = crowded?.headers ?? {};
  expect(Object.keys(headers)).toHaveLength(1_000);
  expect(text(headers.h7)).toEqual(['7', '1007']);
  // Unpatched kafkajs took the inherited `constructor` for a header seen before: [Object, <c>].
  expect(text(odd?.headers['constructor'])).toBe('c');
  expect(Object.getPrototypeOf(odd?.headers)).toBe(Object.prototype);
  expect(Object.hasOwn(odd?.headers ?? {}, '__proto__')).toBe(true);
  expect(textOf(odd?.headers ?? {})).toEqual({ constructor: 'c', ['__proto__']: ['p', 'q'], toString: 't' });
});

test('read as text (the projector), every header value is a string, a null stays null, a repeat an array', async () => {
  readFetchedHeadersAsText();
  try {
    const [record] = await fetched([
      ['event-id', 'e1'],
      ['correlation-id', 'é€😀'],
      ['a', '1'],
      ['a', '2'],
      ['c', null],
    ]);
    expect(record?.headers).toEqual({ 'event-id': 'e1', 'correlation-id': 'é€😀', a: ['1', '2'], c: null });
    expect(record?.value?.toString()).toBe('value-0');
  } finally {
    readHeaderValuesAsText(false);
  }
  const [after] = await fetched([['event-id', 'e2']]);
  expect(Buffer.isBuffer(after?.headers['event-id'])).toBe(true);
});

test('header names are read as sent, whatever the record before held at the same place', async () => {
  const records = await fetched(
    [
      ['event-id', 'a'],
      ['event-type', 'x'],
    ],
    [
      ['event-id', 'b'],
      ['event-typf', 'y'],
    ],
    [
      ['é', '1'],
      ['event-type', 'z'],
    ],
    [rawHeader(Buffer.from([0xe9]), '2')],
    [['event-', '3']],
    [['event-id', 'c']],
  );
  expect(records.map((one) => Object.keys(one.headers))).toEqual([
    ['event-id', 'event-type'],
    ['event-id', 'event-typf'],
    ['é', 'event-type'],
    // A lone 0xE9 is not UTF-8 (é is C3 A9): decoded, not taken for the é before it.
    ['\ufffd'],
    ['event-'],
    ['event-id'],
  ]);
  expect(records.map((one) => text(Object.values(one.headers)[0]))).toEqual(['a', 'b', '1', '2', '3', 'c']);
});

/** A batch whose first offset and timestamp are given, its records' timestamps deltas from the latter. */
async function fetchedAt(firstOffset: string, firstTimestamp: number, deltas: readonly number[]) {
  const batch = await recordBatch({
    firstOffset: Long.fromValue(firstOffset),
    firstTimestamp,
    records: deltas.map((delta, offsetDelta) => record(offsetDelta, [], delta)),
    lastOffsetDelta: deltas.length - 1,
  });
  return (await decodeRecordBatch(new DecoderOf(batch.buffer))).records;
}

test("a record's offset and timestamp are its batch's first plus its deltas, exactly, however large", async () => {
  const first = 1_764_806_400_000;
  // Up to 7 bytes a delta is summed as a number; 2^50 takes 8, and a first offset past 2^53 is BigInt only.
  const deltas = [0, 5, -3, 63, -64, 2 ** 40, 2 ** 48 - 1, 2 ** 50, -(2 ** 50)];
  const small = await fetchedAt('41', first, deltas);
  expect(small.map((one) => one.timestamp)).toEqual(deltas.map((delta) => String(first + delta)));
  expect(small.map((one) => one.offset)).toEqual(deltas.map((_, index) => String(41 + index)));
  const huge = await fetchedAt('9007199254740993', first, [1, 2]);
  expect(huge.map((one) => one.offset)).toEqual(['9007199254740993', '9007199254740994']);
  expect(huge.map((one) => one.timestamp)).toEqual([String(first + 1), String(first + 2)]);
});
