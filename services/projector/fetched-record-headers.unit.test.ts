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
  RecordBatch: (batch: { records: Encoder[]; lastOffsetDelta: number }) => Promise<Encoder>;
};
const { readHeaderValuesAsText } = require(`${kafkajs}/recordBatch/record/v0/decoder.js`) as {
  readHeaderValuesAsText: (asText: boolean) => void;
};
const decodeRecordBatch = require(`${kafkajs}/recordBatch/v0/decoder.js`) as (
  decoder: unknown,
) => Promise<{ records: FetchedRecord[] }>;

/** One record on the wire, its headers in the order given (a key may come back). */
function record(offsetDelta: number, headers: readonly [string, Buffer | string | null][]): Encoder {
  const body = new EncoderOf()
    .writeInt8(0)
    .writeVarLong(0)
    .writeVarInt(offsetDelta)
    .writeVarIntBytes(`key-${offsetDelta}`)
    .writeVarIntBytes(`value-${offsetDelta}`)
    .writeVarIntArray(headers.map(([key, value]) => header({ key, value })));
  return new EncoderOf().writeVarInt(body.size()).writeEncoder(body);
}

async function fetched(
  ...records: (readonly [string, Buffer | string | null][])[]
): Promise<FetchedRecord[]> {
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
