import { createHash } from 'node:crypto';
import type { EventSchema } from '../avro/index.ts';
import {
  deadLetterHeadersSchema,
  EVENT_HEADERS,
  eventHeadersSchema,
  type JsonObject,
  type JsonValue,
} from './asyncapi-headers.ts';
import { deadLetterTopic, eventTopic, subjectName } from './topic-names.ts';
import type { TopicSpec, Topology } from './topology.ts';

/** The schemaFormat of an Avro payload, as AsyncAPI 3.0 names it. */
export const AVRO_SCHEMA_FORMAT = 'application/vnd.apache.avro;version=1.9.0';
const KAFKA_BINDING = '0.5.0';

/** One event as the document shows it by example: the current version's data, and whose event it is. */
export interface AsyncApiExample {
  readonly eventType: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly tenantId: string;
  readonly data: unknown;
}

/** Everything the document is made of: nothing is read here, so the same data always gives the same document. */
export interface AsyncApiSources {
  /** info.version: the release whose contract this is. */
  readonly version: string;
  readonly topology: Topology;
  readonly schemas: readonly EventSchema[];
  /** One per event type, for its current schema version. */
  readonly examples: readonly AsyncApiExample[];
}

const ref = (pointer: string): JsonObject => ({ $ref: pointer });

/** Channel, message and schema ids never carry the topic prefix, so they are the same for every installation. */
function unprefixed(context: string): string {
  return eventTopic('', context);
}

/** A name-based UUID (version 5 layout over SHA-256): example ids that do not change between runs. */
function exampleUuid(name: string): string {
  const bytes = createHash('sha256').update(`eventline-asyncapi:${name}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const cursorPart = (value: number) => String(value).padStart(20, '0');

const INFO_DESCRIPTION = `The Kafka topics Eventline publishes for downstream teams: one per bounded context,
each carrying every event of that context, and a dead-letter topic per projection and source topic.
This document is generated from \`topology/\` and \`schemas/\` (\`eventline asyncapi\`, or
\`GET /asyncapi.json\` on the gateway); the prose contract is docs/contracts.md §8.

- **Key**: the tenant id (a UUID), UTF-8. **Partition**: what the Java client computes for a keyed
  record, \`toPositive(murmur2(key)) % partitions\`: every event of a tenant is in one partition.
- **Value**: the Confluent wire format: byte 0 is 0, bytes 1–4 the schema id (big-endian), then
  Avro binary, never empty. Decode it with the schema the registry holds under that id; the subject is
  \`<topic>-<record full name>\` (TopicRecordNameStrategy). An event goes out at the schema version it
  was stored with (header \`event-schema-version\`); compatibility is BACKWARD.
- **Headers**: UTF-8 strings, every one on every record (empty when there is no value), \`traceparent\`
  only when the event was stored within a trace.
- **Guarantees**: every committed event is published at least once; per tenant, Kafka order is the
  store's commit order. A re-published event carries the same \`event-id\` and \`event-cursor\`.
- **Deduplicate and checkpoint** per key by \`event-cursor\`: keep the last one seen, skip a record whose
  cursor is not greater (compared as strings). Never by \`global-position\`, which is an identifier,
  not an order.`;

/** One message per event type and schema version: the current one is named by its type alone. */
interface MessageVersion {
  readonly schema: EventSchema;
  readonly current: boolean;
  readonly id: string;
  readonly schemaId: string;
}

function messageVersions(schemas: readonly EventSchema[], context: string): MessageVersion[] {
  const own = schemas
    .filter((schema) => schema.context === context)
    // Plain code-unit order, not the locale's: the document must not depend on the machine.
    .sort((a, b) => (a.eventType < b.eventType ? -1 : a.eventType > b.eventType ? 1 : b.version - a.version));
  const latest = new Map<string, number>();
  for (const schema of own)
    latest.set(schema.eventType, Math.max(latest.get(schema.eventType) ?? 0, schema.version));
  return own.map((schema) => {
    const current = latest.get(schema.eventType) === schema.version;
    return {
      schema,
      current,
      id: current ? schema.eventType : `${schema.eventType}.v${schema.version}`,
      schemaId: `${schema.fullName}.v${schema.version}`,
    };
  });
}

/** How a record finds its partition, stated for clients that do not default to it (librdkafka's default is crc32). */
const PARTITIONER =
  'murmur2: toPositive(murmur2(utf8(key))) % partitions, the Java client default for a keyed record';

function topicBinding(spec: TopicSpec): JsonObject {
  return {
    kafka: {
      topic: spec.topic,
      'x-partitioner': PARTITIONER,
      partitions: spec.partitions,
      replicas: spec.replicationFactor,
      topicConfiguration: {
        'cleanup.policy': spec.cleanupPolicy.split(','),
        'retention.ms': spec.retentionMs,
        'min.insync.replicas': spec.minInsyncReplicas,
      },
      bindingVersion: KAFKA_BINDING,
    },
  };
}

function messageBinding(): JsonObject {
  return {
    kafka: {
      key: ref('#/components/schemas/TenantKey'),
      schemaIdLocation: 'payload',
      schemaIdPayloadEncoding: 'confluent',
      schemaLookupStrategy: 'TopicRecordNameStrategy',
      bindingVersion: KAFKA_BINDING,
    },
  };
}

/** An example with its place: `ordinal` among its aggregate's events, `sequence` among all. */
interface NumberedExample {
  readonly example: AsyncApiExample;
  readonly ordinal: number;
  readonly sequence: number;
}

/** The headers an example record carries: plausible values, the same every run. */
function exampleHeaders(
  { example, ordinal, sequence }: NumberedExample,
  version: number,
): Record<string, string> {
  const position = 1_234 + sequence;
  const headers: Record<string, string> = {
    'event-id': exampleUuid(`event:${example.eventType}`),
    'event-type': example.eventType,
    'event-schema-version': String(version),
    'aggregate-type': example.aggregateType,
    'aggregate-id': example.aggregateId,
    'aggregate-version': String(ordinal + 1),
    'tenant-id': example.tenantId,
    'global-position': String(position),
    'correlation-id': exampleUuid(`correlation:${example.eventType}`),
    'causation-id': '',
    'occurred-at': new Date(Date.UTC(2026, 11, 1, 14, 30, sequence)).toISOString(),
    'event-cursor': `${cursorPart(771 + sequence)}-${cursorPart(position)}`,
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  };
  // The example must show exactly the contract's headers: a header added there and not here fails loudly.
  const names = Object.keys(EVENT_HEADERS);
  if (names.some((name) => !(name in headers)) || Object.keys(headers).length !== names.length)
    throw new Error('the example headers are not the headers of EVENT_HEADERS');
  return headers;
}

const DEAD_LETTER_EXAMPLE: Record<string, string> = {
  'dlq-error': 'Error: the read model refused the event',
  'dlq-attempts': '5',
  'dlq-source-partition': '3',
  'dlq-source-offset': '42',
  'dlq-failed-at': '2026-12-01T14:31:00.000Z',
};

interface ContextMessages {
  readonly events: Record<string, JsonObject>;
  readonly deadLetters: Record<string, JsonObject>;
}

function contextMessages(
  context: string,
  spec: TopicSpec,
  sources: AsyncApiSources,
  examples: ReadonlyMap<string, NumberedExample>,
): ContextMessages {
  const events: Record<string, JsonObject> = {};
  const deadLetters: Record<string, JsonObject> = {};
  for (const { schema, current, id, schemaId } of messageVersions(sources.schemas, context)) {
    const subject = subjectName(spec.topic, schema.fullName);
    const definition = JSON.parse(schema.definition) as { doc?: unknown };
    const summary =
      typeof definition.doc === 'string' ? definition.doc : `${schema.eventType} v${schema.version}`;
    const found = examples.get(schema.eventType);
    if (current && !found)
      throw new Error(
        `no example for the event type ${schema.eventType}: give one (services/domain/event-examples.ts)`,
      );
    const base: JsonObject = {
      name: schema.eventType,
      title: current ? schema.eventType : `${schema.eventType} (v${schema.version})`,
      summary,
      contentType: 'application/octet-stream',
      correlationId: {
        description: 'The request that caused the event.',
        location: '$message.header#/correlation-id',
      },
      payload: ref(`#/components/schemas/${schemaId}`),
      bindings: messageBinding(),
      'x-event-schema-version': schema.version,
      'x-registry-subject': subject,
    };
    const headers = found && current ? exampleHeaders(found, schema.version) : undefined;
    const payload = found && current ? (found.example.data as JsonValue) : undefined;
    events[id] = {
      ...base,
      headers: ref('#/components/schemas/EventHeaders'),
      description:
        `Avro record \`${schema.fullName}\`, schema version ${schema.version}` +
        ` (\`schemas/${context}/${schema.eventType}.v${schema.version}.avsc\`), registered under \`${subject}\`.`,
      ...(headers && payload !== undefined
        ? {
            examples: [{ name: schema.eventType, summary: `A ${schema.eventType} record`, headers, payload }],
          }
        : {}),
    };
    deadLetters[`${id}.deadLetter`] = {
      ...base,
      title: `${String(base.title)}, parked`,
      headers: ref('#/components/schemas/DeadLetterHeaders'),
      description:
        `A ${schema.eventType} record a projection could not apply: its key, value and headers as on ` +
        `\`${spec.topic}\` (the value still under \`${subject}\`), and the dlq-* headers.`,
      ...(headers && payload !== undefined
        ? {
            examples: [
              {
                name: `${schema.eventType}.deadLetter`,
                summary: `A ${schema.eventType} record, parked`,
                headers: { ...headers, ...DEAD_LETTER_EXAMPLE },
                payload,
              },
            ],
          }
        : {}),
    };
  }
  return { events, deadLetters };
}

function channelDescription(spec: TopicSpec, context: string): string {
  return (
    `Every event of the bounded context \`${context}\`. Key: the tenant id, UTF-8. Partition: ` +
    `\`toPositive(murmur2(key)) % ${spec.partitions}\`, as the Java client's default partitioner computes ` +
    `for a keyed record, so a tenant's events are in one partition, in the store's commit order. Value: ` +
    `the Confluent wire format, Avro under the subject \`${spec.topic}-<record full name>\`.`
  );
}

/**
 * The AsyncAPI 3.0 document of the topics one installation publishes (docs/contracts.md §8):
 * a channel per event topic and dead-letter topic with its Kafka bindings, a message per
 * event type and schema version with its Avro schema, headers, subject and an example.
 */
export function asyncApiDocument(sources: AsyncApiSources): JsonObject {
  const examples = new Map<string, NumberedExample>();
  const ordinals = new Map<string, number>();
  for (const [sequence, example] of sources.examples.entries()) {
    const ordinal = ordinals.get(example.aggregateType) ?? 0;
    ordinals.set(example.aggregateType, ordinal + 1);
    examples.set(example.eventType, { example, ordinal, sequence });
  }
  const channels: JsonObject = {};
  const operations: JsonObject = {};
  const messages: JsonObject = {};
  const schemas: JsonObject = {
    TenantKey: {
      type: 'string',
      format: 'uuid',
      description:
        "The record key: the tenant's UUID, UTF-8. Every event of a tenant has it, so lands in one partition.",
    },
    EventHeaders: eventHeadersSchema(),
    DeadLetterHeaders: deadLetterHeadersSchema(),
  };
  for (const schema of sources.schemas) {
    schemas[`${schema.fullName}.v${schema.version}`] = {
      schemaFormat: AVRO_SCHEMA_FORMAT,
      schema: JSON.parse(schema.definition) as JsonValue,
    };
  }

  for (const [context, spec] of sources.topology.eventTopics) {
    const { events, deadLetters } = contextMessages(context, spec, sources, examples);
    Object.assign(messages, events);
    const channelId = unprefixed(context);
    channels[channelId] = {
      address: spec.topic,
      title: spec.topic,
      summary: `The events of the bounded context ${context}.`,
      description: channelDescription(spec, context),
      messages: Object.fromEntries(Object.keys(events).map((id) => [id, ref(`#/components/messages/${id}`)])),
      bindings: topicBinding(spec),
    };
    operations[`consume.${channelId}`] = {
      action: 'receive',
      title: `Consume ${spec.topic}`,
      summary: `Read every event of ${context}; deduplicate and checkpoint per key by event-cursor.`,
      channel: ref(`#/channels/${channelId}`),
      messages: Object.keys(events).map((id) => ref(`#/channels/${channelId}/messages/${id}`)),
    };

    const deadLetterSpecs = sources.topology.deadLetterTopics.filter(
      (candidate) => candidate.topic.startsWith(`${spec.topic}.`) && candidate.topic.endsWith('.dlq'),
    );
    if (deadLetterSpecs.length > 0) Object.assign(messages, deadLetters);
    for (const deadLetter of deadLetterSpecs) {
      const projection = deadLetter.topic.slice(spec.topic.length + 1, -'.dlq'.length);
      const id = deadLetterTopic(channelId, projection);
      channels[id] = {
        address: deadLetter.topic,
        title: deadLetter.topic,
        summary: `What the projection ${projection} could not apply from ${spec.topic}.`,
        description:
          `The projector parks here an event of \`${spec.topic}\` that the projection \`${projection}\` ` +
          'still fails to apply after its retries: the original key, value and headers, plus the dlq-* ' +
          'headers. `eventline dlq list` shows them, `eventline dlq replay` applies them again.',
        messages: Object.fromEntries(
          Object.keys(deadLetters).map((message) => [message, ref(`#/components/messages/${message}`)]),
        ),
        bindings: topicBinding(deadLetter),
      };
      operations[`consume.${id}`] = {
        action: 'receive',
        title: `Consume ${deadLetter.topic}`,
        summary: `Read what the projection ${projection} parked.`,
        channel: ref(`#/channels/${id}`),
        messages: Object.keys(deadLetters).map((message) => ref(`#/channels/${id}/messages/${message}`)),
      };
    }
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Eventline events',
      version: sources.version,
      description: INFO_DESCRIPTION,
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    defaultContentType: 'application/octet-stream',
    servers: {
      kafka: {
        host: '{bootstrap}',
        protocol: 'kafka',
        title: 'Your installation’s Kafka',
        description:
          'The bootstrap servers of your installation (KAFKA_BROKERS) and its schema registry ' +
          '(SCHEMA_REGISTRY_URL, the Confluent-compatible API); the defaults are the local stack’s.',
        variables: {
          bootstrap: { default: '127.0.0.1:9092', description: 'host:port of a broker (KAFKA_BROKERS)' },
        },
        bindings: {
          kafka: {
            schemaRegistryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7',
            schemaRegistryVendor: 'confluent',
            bindingVersion: KAFKA_BINDING,
          },
        },
      },
    },
    channels,
    operations,
    components: { messages, schemas },
  };
}
