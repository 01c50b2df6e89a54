import { createRequire } from 'node:module';
import type { IHeaders } from 'kafkajs';

/** What kafkajs' produce request hands its record encoder (protocol/recordBatch/record/v0). */
export interface RecordFields {
  readonly offsetDelta?: number;
  readonly timestampDelta?: number;
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: IHeaders;
}

/** What kafkajs' RecordBatch reads of an encoded record: an Encoder's `buf` and `buffer`. */
export interface EncodedRecord {
  readonly buf: Buffer;
  readonly buffer: Buffer;
}

type Bytes = Buffer | string | null | undefined;

function zigZag(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

function sizeOfUVarInt(value: number): number {
  let bytes = 1;
  for (let rest = value >>> 7; rest !== 0; rest >>>= 7) bytes++;
  return bytes;
}

/** Zigzag over 64 bits in double arithmetic: exact for every safe integer, as Kafka's varlong wants. */
function zigZag64(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function sizeOfUVarLong(value: number): number {
  let bytes = 1;
  for (let rest = Math.floor(value / 128); rest !== 0; rest = Math.floor(rest / 128)) bytes++;
  return bytes;
}

/** Strings this short are measured and copied in JS when ASCII: cheaper than a call into C++. */
const SHORT_STRING = 64;

function isShortAscii(text: string): boolean {
  if (text.length > SHORT_STRING) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

function byteLength(bytes: Bytes): number {
  if (bytes == null) return -1;
  if (Buffer.isBuffer(bytes)) return bytes.length;
  return isShortAscii(bytes) ? bytes.length : Buffer.byteLength(bytes, 'utf8');
}

function sizeOfVarIntBytes(length: number): number {
  return sizeOfUVarInt(zigZag(length)) + Math.max(0, length);
}

/** Writes one record's bytes into a buffer sized for it exactly. */
class RecordWriter {
  private offset = 0;

  constructor(readonly buf: Buffer) {}

  uVarInt(value: number): void {
    let rest = value;
    while (rest > 0x7f) {
      this.buf[this.offset++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    this.buf[this.offset++] = rest;
  }

  uVarLong(value: number): void {
    let rest = value;
    while (rest > 0x7f) {
      this.buf[this.offset++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.buf[this.offset++] = rest;
  }

  /** A header name's bytes: short, so copied in JS rather than through a call into C++. */
  name(encoded: Buffer): void {
    for (let i = 0; i < encoded.length; i++) this.buf[this.offset++] = encoded[i] as number;
  }

  int8(value: number): void {
    this.buf[this.offset++] = value;
  }

  /** Length-prefixed bytes, -1 for null; `length` is byteLength(bytes). */
  varIntBytes(bytes: Bytes, length: number): void {
    this.uVarInt(zigZag(length));
    if (bytes == null) return;
    if (Buffer.isBuffer(bytes)) {
      this.offset += bytes.copy(this.buf, this.offset);
    } else if (length === bytes.length && length <= SHORT_STRING) {
      for (let i = 0; i < length; i++) this.buf[this.offset++] = bytes.charCodeAt(i);
    } else {
      this.offset += this.buf.write(bytes, this.offset, length, 'utf8');
    }
  }
}

/** Header names come from a small set: each is encoded (length varint and UTF-8) once. */
const encodedNames = new Map<string, Buffer>();
const MAX_REMEMBERED_NAMES = 256;

function encodedName(name: string): Buffer {
  let encoded = encodedNames.get(name);
  if (!encoded) {
    const length = Buffer.byteLength(name, 'utf8');
    encoded = Buffer.alloc(sizeOfVarIntBytes(length));
    new RecordWriter(encoded).varIntBytes(name, length);
    if (encodedNames.size < MAX_REMEMBERED_NAMES) encodedNames.set(name, encoded);
  }
  return encoded;
}

/** Header value lengths of the record being encoded, reused from record to record. */
const valueLengths: number[] = [];

/**
 * The bytes kafkajs 2.2.4 writes for a record (Kafka's record format v2:
 * length, attributes, timestamp and offset deltas, key, value, headers), in one
 * pass into one buffer. kafkajs' own encoder builds every record from twelve
 * Encoders, each with a zeroed 512-byte buffer, and every varint from a fresh
 * array: most of the relay's CPU per event went there.
 */
export function encodeRecord({
  offsetDelta = 0,
  timestampDelta = 0,
  key,
  value,
  headers = {},
}: RecordFields): EncodedRecord {
  const names = Object.keys(headers);
  let headerCount = 0;
  let headersSize = 0;
  for (const name of names) {
    const entry = headers[name];
    const nameSize = encodedName(name).length;
    if (!Array.isArray(entry)) {
      const length = byteLength(entry as Bytes);
      valueLengths[headerCount++] = length;
      headersSize += nameSize + sizeOfVarIntBytes(length);
      continue;
    }
    for (const one of entry as Bytes[]) {
      const length = byteLength(one);
      valueLengths[headerCount++] = length;
      headersSize += nameSize + sizeOfVarIntBytes(length);
    }
  }
  const keyLength = byteLength(key);
  const valueLength = byteLength(value);
  const bodySize =
    1 +
    sizeOfUVarLong(zigZag64(timestampDelta)) +
    sizeOfUVarInt(zigZag(offsetDelta)) +
    sizeOfVarIntBytes(keyLength) +
    sizeOfVarIntBytes(valueLength) +
    sizeOfUVarInt(zigZag(headerCount)) +
    headersSize;
  // allocUnsafe takes small buffers from Node's shared pool; every byte is written below.
  const buf = Buffer.allocUnsafe(sizeOfUVarInt(zigZag(bodySize)) + bodySize);
  const writer = new RecordWriter(buf);
  writer.uVarInt(zigZag(bodySize));
  writer.int8(0);
  writer.uVarLong(zigZag64(timestampDelta));
  writer.uVarInt(zigZag(offsetDelta));
  writer.varIntBytes(key, keyLength);
  writer.varIntBytes(value, valueLength);
  writer.uVarInt(zigZag(headerCount));
  let header = 0;
  for (const name of names) {
    const entry = headers[name];
    const encoded = encodedName(name);
    if (!Array.isArray(entry)) {
      writer.name(encoded);
      writer.varIntBytes(entry as Bytes, valueLengths[header++] as number);
      continue;
    }
    for (const one of entry as Bytes[]) {
      writer.name(encoded);
      writer.varIntBytes(one, valueLengths[header++] as number);
    }
  }
  return { buf, buffer: buf };
}

const KAFKAJS_VERSION = '2.2.4';
const RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
/** The produce request versions whose modules hold kafkajs' record encoder (v4 to v7 build on v3). */
const PRODUCE_REQUEST_MODULES = [3, 4, 5, 6, 7].map(
  (version) => `kafkajs/src/protocol/requests/produce/v${version}/request.js`,
);

/**
 * Makes kafkajs produce through `encodeRecord`, for every producer of the
 * process, by replacing its record module in the CommonJS cache and dropping
 * the cached produce requests that captured the old one (kafkajs requires them
 * afresh for every request). Only for the kafkajs version the bytes were held
 * to (record-encoder.unit.test.ts); another version is left as it is. Returns
 * whether it took effect.
 */
export function useFastRecordEncoder(): boolean {
  const require = createRequire(import.meta.url);
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== KAFKAJS_VERSION) return false;
  const recordPath = require.resolve(RECORD_MODULE);
  require(recordPath);
  const record = require.cache[recordPath];
  if (!record) return false;
  record.exports = encodeRecord;
  for (const module of PRODUCE_REQUEST_MODULES)
    Reflect.deleteProperty(require.cache, require.resolve(module));
  return true;
}
