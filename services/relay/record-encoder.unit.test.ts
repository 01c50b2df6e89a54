import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { encodeRecord, type RecordFields } from './record-encoder.ts';

const require = createRequire(import.meta.url);
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (
  fields: RecordFields,
) => { buffer: Buffer };

function contractHeaders(): Record<string, string> {
  return {
    'event-id': randomUUID(),
    'event-type': 'OrderPlaced',
    'event-schema-version': '1',
    'aggregate-type': 'Order',
    'aggregate-id': randomUUID(),
    'aggregate-version': '17',
    'tenant-id': randomUUID(),
    'global-position': '123456789012',
    'correlation-id': 'é€😀'.repeat(3),
    'causation-id': '',
    'occurred-at': new Date().toISOString(),
  };
}

const cases: Record<string, RecordFields> = {
  'a relay record': {
    key: randomUUID(),
    value: Buffer.from([0, 0, 0, 0, 7, 1, 2, 3]),
    headers: contractHeaders(),
    offsetDelta: 5,
  },
  'no key, no headers': { key: null, value: Buffer.alloc(0) },
  'a null value, string key': { key: 'k', value: null, headers: {} },
  'a string value': { key: Buffer.from('key'), value: 'plain text ✓' },
  'repeated header values and buffers': {
    key: 'k',
    value: 'v',
    headers: { a: ['1', '2', Buffer.from([255, 0])], b: Buffer.from('x') },
  },
  'large value and offsets': {
    key: 'x'.repeat(300),
    value: Buffer.alloc(70_000, 7),
    headers: { traceparent: '00-'.padEnd(55, 'a') },
    offsetDelta: 999_999,
    timestampDelta: 1_700_000_000_123,
  },
  'a negative timestamp delta': { key: 'k', value: 'v', timestampDelta: -1_234_567 },
};

test.each(Object.entries(cases))('writes the bytes kafkajs writes: %s', (_name, fields) => {
  const ours = encodeRecord(fields);
  expect(ours.buffer.equals(kafkajsRecord(fields).buffer)).toBe(true);
  expect(ours.buf).toBe(ours.buffer);
});

test('writes the bytes kafkajs writes for every offset delta of a batch', () => {
  for (let offsetDelta = 0; offsetDelta < 20_000; offsetDelta += 37) {
    const fields = { key: randomUUID(), value: Buffer.alloc(offsetDelta % 300, 1), headers: {}, offsetDelta };
    expect(encodeRecord(fields).buffer.equals(kafkajsRecord(fields).buffer)).toBe(true);
  }
});
