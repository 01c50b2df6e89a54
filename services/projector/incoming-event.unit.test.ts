import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { KafkaMessage } from 'kafkajs';
import { EventSchemas } from '../avro/index.ts';
import { Upcasters } from '../eventstore/index.ts';
import { RegistryUnavailableError } from '../messaging/index.ts';
import { projectRoot } from '../platform/paths/index.ts';
import { EventDecoder, plainData, UnreadableRecordError } from './incoming-event.ts';
import { isInfrastructureError } from './infrastructure-errors.ts';

const jsonRoundTrip = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

function shippedSchemas(): string[] {
  const root = join(projectRoot(), 'schemas');
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.avsc'))
    .map((file) => join(root, file));
}

test("avsc's decoded records of every shipped schema become what a JSON round trip gives", () => {
  for (const file of shippedSchemas()) {
    const type = avro.Type.forSchema(JSON.parse(readFileSync(file, 'utf8')));
    // Random values cover enums, nested records, arrays and both sides of nullable unions.
    for (let sample = 0; sample < 20; sample++) {
      const decoded: unknown = type.fromBuffer(type.toBuffer(type.random()));
      const plain = plainData(decoded);
      expect(plain).toStrictEqual(jsonRoundTrip(decoded));
      expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    }
  }
});

test('values JSON cannot hold come out as JSON gives them', () => {
  const value = {
    missing: undefined,
    notANumber: Number.NaN,
    infinite: Number.POSITIVE_INFINITY,
    negativeZero: -0,
    list: [undefined, 1, Number.NaN],
    bytes: Buffer.from('ab'),
    nested: { when: new Date(0), flag: true, nothing: null },
  };
  expect(plainData(value)).toStrictEqual(jsonRoundTrip(value));
});

/** A record in the wire format naming schema id 7, whose writer schema the decoder must fetch. */
function recordOfSchema7(): KafkaMessage {
  const value = Buffer.alloc(6);
  value.writeInt32BE(7, 1);
  const message: KafkaMessage = {
    key: Buffer.from('tenant'),
    value,
    headers: {
      'event-type': 'OrderPlaced',
      'event-schema-version': '1',
      'occurred-at': new Date(0).toISOString(),
    },
    timestamp: '0',
    attributes: 0,
    offset: '0',
  };
  return message;
}

async function decoderAt(url: string): Promise<EventDecoder> {
  return new EventDecoder(new SchemaRegistry({ host: url }), await EventSchemas.load(), new Upcasters());
}

async function listening(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

test('given the registry refuses connections, when a record needs its schema, then that is the registry away, never a bad record', async () => {
  // The registry client reports a refused connection as "status 400": parking for it would empty the
  // read models through every registry outage (make chaos, registry-outage).
  const closed = createServer();
  const url = await listening(closed);
  await new Promise((resolve) => closed.close(resolve));
  const error = await (await decoderAt(url)).decode(recordOfSchema7()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RegistryUnavailableError);
  expect(isInfrastructureError(error)).toBe(true);
});

test('given the registry answers that it lacks the schema (404), when a record needs it, then the record is unreadable', async () => {
  const server = createServer((_request, response) => {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error_code: 40403, message: 'Schema 7 not found' }));
  });
  const url = await listening(server);
  try {
    const error = await (await decoderAt(url)).decode(recordOfSchema7()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreadableRecordError);
    expect(isInfrastructureError(error)).toBe(false);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
