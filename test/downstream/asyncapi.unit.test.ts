import { jest } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AvroSchemaParser } from '@asyncapi/avro-schema-parser';
import { DiagnosticSeverity, Parser, type ValidateSchemaInput } from '@asyncapi/parser';
import avro from 'avsc';
import type { IPolicy } from 'cockatiel';
import type { Producer, ProducerRecord } from 'kafkajs';
import type { DatabaseTransactionConnection } from 'slonik';
import { parse } from 'yaml';
import { EventSchemas } from '../../services/avro/index.ts';
import { runCli } from '../../services/cli/run-cli.ts';
import { boundedContexts } from '../../services/domain/contexts.ts';
import { eventExamples } from '../../services/domain/event-examples.ts';
import {
  asyncApiDocument,
  AVRO_SCHEMA_FORMAT,
  DEAD_LETTER_HEADERS,
  EVENT_HEADERS,
  type JsonObject,
  loadAsyncApiSources,
  loadTopology,
  renderAsyncApi,
} from '../../services/messaging/index.ts';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { DeadLetters } from '../../services/projector/dead-letters.ts';
import { kafkaRecord } from '../../services/relay/kafka-record.ts';
import type { OutboxEntry } from '../../services/outbox/index.ts';

// The AsyncAPI document downstream teams read instead of docs/contracts.md §8:
// valid for the official parser, true to what the relay and projector write,
// and committed exactly as the generator makes it.

const COMMITTED = join(projectRoot(), 'docs', 'asyncapi.yaml');
const REGENERATE =
  'make asyncapi (KAFKA_TOPIC_PREFIX= node dist/services/cli/main.js asyncapi > docs/asyncapi.yaml)';

interface Message {
  readonly payload: { readonly $ref: string };
  readonly headers: { readonly $ref: string };
  readonly 'x-registry-subject': string;
  readonly examples?: readonly { readonly headers: Record<string, unknown>; readonly payload: unknown }[];
}

interface Channel {
  readonly address: string;
  readonly messages: Record<string, { readonly $ref: string }>;
  readonly bindings: { readonly kafka: Record<string, unknown> };
}

interface Document {
  readonly channels: Record<string, Channel>;
  readonly components: {
    readonly messages: Record<string, Message>;
    readonly schemas: Record<string, JsonObject & { schemaFormat?: string; schema?: avro.Schema }>;
  };
}

async function generated(prefix = ''): Promise<JsonObject> {
  return asyncApiDocument(await loadAsyncApiSources(prefix, eventExamples));
}

const target = (pointer: string) => pointer.split('/').pop() ?? '';

test('the official AsyncAPI parser finds no error and no warning in it', async () => {
  const parser = new Parser();
  parser.registerSchemaParser(AvroSchemaParser());
  const { document, diagnostics } = await parser.parse(renderAsyncApi(await generated(), 'yaml'));
  const serious = diagnostics.filter(
    (diagnostic) =>
      diagnostic.severity === DiagnosticSeverity.Error || diagnostic.severity === DiagnosticSeverity.Warning,
  );
  expect(serious.map((diagnostic) => `${diagnostic.path.join('.')}: ${diagnostic.message}`)).toEqual([]);
  expect(document?.version()).toBe('3.0.0');
});

test('every Avro payload is a schema the Avro schema parser accepts, and each example fits its schemas', async () => {
  const document = (await generated()) as unknown as Document;
  const avroParser = AvroSchemaParser();
  for (const [id, message] of Object.entries(document.components.messages)) {
    const payload = document.components.schemas[target(message.payload.$ref)];
    expect(payload?.schemaFormat).toBe(AVRO_SCHEMA_FORMAT);
    // The parser skips custom formats when it validates a 3.0 document, so its Avro parser is asked directly.
    const refusals = await avroParser.validate({
      data: payload?.schema,
      path: ['components', 'messages', id, 'payload'],
      schemaFormat: AVRO_SCHEMA_FORMAT,
      defaultSchemaFormat: AVRO_SCHEMA_FORMAT,
      meta: {},
    } as unknown as ValidateSchemaInput);
    expect({ id, refusals: refusals ?? [] }).toEqual({ id, refusals: [] });

    const type = avro.Type.forSchema(payload?.schema as avro.Schema);
    const headerSchema = document.components.schemas[target(message.headers.$ref)] as {
      properties: Record<string, { pattern?: string }>;
      required: string[];
    };
    for (const example of message.examples ?? []) {
      expect({ id, fits: type.isValid(example.payload, { noUndeclaredFields: true }) }).toEqual({
        id,
        fits: true,
      });
      expect(Object.keys(example.headers).sort()).toEqual(Object.keys(headerSchema.properties).sort());
      for (const [name, value] of Object.entries(example.headers)) {
        const pattern = headerSchema.properties[name]?.pattern;
        expect({
          name,
          value,
          fits: typeof value === 'string' && (!pattern || new RegExp(pattern).test(value)),
        }).toEqual({ name, value, fits: true });
      }
    }
  }
});

test('a channel per event and dead-letter topic, with its partitions, and a message per event type', async () => {
  const prefix = 'acme.';
  const document = (await generated(prefix)) as unknown as Document;
  const topology = await loadTopology(prefix);
  const topics = [...topology.eventTopics.values(), ...topology.deadLetterTopics];
  const channels = Object.values(document.channels);
  expect(channels.map((channel) => channel.address).sort()).toEqual(topics.map((spec) => spec.topic).sort());
  for (const spec of topics) {
    const channel = channels.find((candidate) => candidate.address === spec.topic);
    expect(channel?.bindings.kafka).toMatchObject({
      topic: spec.topic,
      partitions: spec.partitions,
      replicas: spec.replicationFactor,
    });
  }

  const schemas = (await EventSchemas.load()).all();
  for (const decider of boundedContexts) {
    const channel = document.channels[`${decider.context}.events`];
    expect(Object.keys(channel?.messages ?? {}).sort()).toEqual(Object.keys(decider.events).sort());
    for (const id of Object.keys(channel?.messages ?? {})) {
      const message = document.components.messages[id];
      const schema = schemas.find((candidate) => candidate.eventType === id);
      expect(message?.['x-registry-subject']).toBe(`${prefix}${decider.context}.events-${schema?.fullName}`);
      expect(message?.examples).toHaveLength(1);
    }
  }
});

test('the headers it documents are the ones the relay and the projector write', async () => {
  const entry: OutboxEntry = {
    position: 1,
    transactionId: '771',
    tenantId: 't',
    context: 'orders',
    lane: 0,
    enqueuedAtMs: 0,
    eventId: 'e',
    eventType: 'OrderPlaced',
    schemaVersion: 1,
    streamType: 'Order',
    streamId: 'o',
    streamVersion: 1,
    data: {},
    metadata: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    correlationId: null,
    causationId: null,
    occurredAtMs: 0,
  };
  const written = Object.keys(kafkaRecord(entry, Buffer.alloc(1)).headers ?? {});
  expect(written).toEqual(Object.keys(EVENT_HEADERS));

  const sent: ProducerRecord[] = [];
  const producer = { send: async (record: ProducerRecord) => void sent.push(record) } as unknown as Producer;
  const guard = { execute: (fn: () => unknown) => fn() } as unknown as IPolicy;
  const tx = { query: async () => undefined } as unknown as DatabaseTransactionConnection;
  await new DeadLetters(producer, guard).park(tx, {
    projection: 'orders',
    topic: 'orders.events',
    partition: 0,
    message: { key: Buffer.from('t'), value: Buffer.alloc(1), headers: {}, offset: '7' } as never,
    error: new Error('refused'),
    attempts: 3,
  });
  expect(Object.keys(sent[0]?.messages[0]?.headers ?? {})).toEqual(Object.keys(DEAD_LETTER_HEADERS));
});

test('the YAML reads back as the same document, even for a YAML 1.1 reader', async () => {
  const document = await generated();
  const text = renderAsyncApi(document, 'yaml');
  expect(parse(text)).toEqual(document);
  // A 1.1 reader (js-yaml, which the AsyncAPI tools use) would take an unquoted timestamp for a date.
  expect(parse(text, { schema: 'yaml-1.1' })).toEqual(document);
  expect(JSON.parse(renderAsyncApi(document, 'json'))).toEqual(document);
});

test(`docs/asyncapi.yaml is what the generator makes (regenerate: ${REGENERATE})`, async () => {
  const committed = await readFile(COMMITTED, 'utf8').catch(() => '(missing)');
  const expected = renderAsyncApi(await generated(), 'yaml');
  if (committed !== expected) {
    throw new Error(
      `docs/asyncapi.yaml differs from what topology/ and schemas/ make now: run ${REGENERATE}`,
    );
  }
});

test('eventline asyncapi prints the document, YAML by default or JSON, with the topic prefix applied', async () => {
  const printed: string[] = [];
  const write = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0);
  const before = process.env.KAFKA_TOPIC_PREFIX;
  try {
    process.env.KAFKA_TOPIC_PREFIX = '';
    expect(await runCli(['asyncapi'])).toBe(0);
    expect(printed.join('')).toBe(renderAsyncApi(await generated(), 'yaml'));
    printed.length = 0;
    process.env.KAFKA_TOPIC_PREFIX = 'acme.';
    expect(await runCli(['asyncapi', '--format', 'json'])).toBe(0);
    expect(JSON.parse(printed.join(''))).toEqual(await generated('acme.'));
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await runCli(['asyncapi', '--format', 'xml'])).toBe(2);
      expect(await runCli(['asyncapi', '--pretty'])).toBe(2);
      expect(errors.mock.calls.map(([line]) => String(line))).toEqual([
        'eventline asyncapi: --format is yaml or json, not "xml"',
        expect.stringMatching(/^eventline: Unknown option '--pretty'/),
      ]);
    } finally {
      errors.mockRestore();
    }
  } finally {
    write.mockRestore();
    if (before === undefined) delete process.env.KAFKA_TOPIC_PREFIX;
    else process.env.KAFKA_TOPIC_PREFIX = before;
  }
});
