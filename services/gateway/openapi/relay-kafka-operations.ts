import { z } from 'zod';

type JsonSchema = Record<string, unknown>;

/** What the document shares with the relay and Kafka operations: named schemas, problem answers, parameters. */
export interface RelayKafkaParts {
  readonly ref: (name: string, definition: JsonSchema) => JsonSchema;
  readonly schema: (type: z.ZodType) => JsonSchema;
  readonly errors: JsonSchema;
  readonly tenantPath: JsonSchema;
  readonly problemResponse: (description: string, example: JsonSchema, headers?: JsonSchema) => JsonSchema;
  readonly problemExample: (status: number, slug: string, title: string, detail: string) => JsonSchema;
}

const relayStatus = z.object({
  backlog: z.object({
    rows: z.number().int().describe('outbox rows not yet acknowledged by Kafka'),
    oldestAgeSeconds: z.number().describe('how long the oldest of them has waited; 0 when none waits'),
  }),
  replicas: z.array(
    z.object({
      replica: z.string().describe('host/pid/random, as the replica names itself'),
      seenAt: z.string().datetime(),
      lanes: z.array(z.number().int()).describe('the lanes it holds a live lease on'),
    }),
  ),
  lanes: z.array(
    z.object({
      lane: z.number().int(),
      holder: z.string().nullable().describe('the replica with a live lease on it; null while nobody'),
      epoch: z.number().int().describe('grows with every change of holder'),
      leaseExpiresAt: z.string().datetime().nullable(),
      backlog: z.number().int().describe('its rows waiting'),
    }),
  ),
  unheldLanes: z.number().int().describe('lanes no replica holds a live lease on'),
  halted: z.array(
    z.object({
      tenantId: z.string().uuid(),
      eventId: z.string().uuid().describe('the event it stopped at'),
      eventType: z.string(),
      reason: z.string(),
      haltedAt: z.string().datetime(),
    }),
  ),
});

const tenantResumed = z.object({ tenantId: z.string().uuid(), resumed: z.literal(true) });

const kafkaTopics = z.object({
  prefix: z.string().describe('KAFKA_TOPIC_PREFIX: the topics listed carry it'),
  topics: z.array(
    z.object({
      topic: z.string(),
      messages: z.number().int().describe('records held now, over its partitions'),
      partitions: z.array(
        z.object({
          partition: z.number().int(),
          startOffset: z.number().int(),
          endOffset: z.number().int().describe('the offset the next record gets'),
        }),
      ),
    }),
  ),
});

const consumerGroups = z.object({
  prefix: z.string().describe('KAFKA_TOPIC_PREFIX: the groups listed carry it'),
  groups: z.array(
    z.object({
      group: z.string(),
      state: z.string().describe('Stable, Empty, PreparingRebalance, …'),
      members: z.number().int(),
      lag: z.number().int().describe('end offsets less committed offsets, over its partitions'),
      partitions: z.array(
        z.object({
          topic: z.string(),
          partition: z.number().int(),
          committedOffset: z.number().int(),
          endOffset: z.number().int(),
          lag: z.number().int(),
        }),
      ),
    }),
  ),
});

const json = (description: string, body: JsonSchema, example: unknown) => ({
  description,
  content: { 'application/json': { schema: body, example } },
});

/** docs/contracts.md §12: the relay's and Kafka's state, and resuming a halted tenant, for the platform admin. */
export function relayKafkaPaths(parts: RelayKafkaParts): Record<string, Record<string, JsonSchema>> {
  const TENANT_ID = '3f2a8c1e-9b7d-4e6f-a1c2-5d8e9f0a1b2c';
  const EVENT_ID = '0c9d5e1a-7f2b-4a6c-8e3d-5b1f9a2c7e64';
  const REPLICA = 'relay-7d9f/1/3a5c7e9b';
  const RelayStatus = parts.ref('RelayStatus', parts.schema(relayStatus));
  const TenantResumed = parts.ref('TenantResumed', parts.schema(tenantResumed));
  const KafkaTopics = parts.ref('KafkaTopics', parts.schema(kafkaTopics));
  const ConsumerGroups = parts.ref('KafkaConsumerGroups', parts.schema(consumerGroups));
  const noOperations = {
    '503': parts.problemResponse(
      'this gateway has no OPERATIONS_DATABASE_URL, or PostgreSQL or Kafka is unavailable',
      parts.problemExample(
        503,
        'service-unavailable',
        'Service unavailable',
        'relay operations are off on this gateway: set OPERATIONS_DATABASE_URL (docs/console.md)',
      ),
      {
        'Retry-After': {
          description: 'seconds to wait before trying again',
          schema: { type: 'integer', minimum: 1 },
          example: 1,
        },
      },
    ),
  };
  const operation = (operationId: string, summary: string, extra: JsonSchema) => ({
    operationId,
    tags: ['Administration'],
    summary,
    security: [{ bearer: [] }],
    ...extra,
  });
  return {
    '/api/v1/relay': {
      get: operation(
        'getRelayStatus',
        'The outbox’s backlog and oldest age, the lanes and the replicas holding them, the halted tenants',
        {
          responses: {
            '200': json('the relay’s state', RelayStatus, {
              backlog: { rows: 42, oldestAgeSeconds: 0.8 },
              replicas: [{ replica: REPLICA, seenAt: '2026-12-01T14:30:00.000Z', lanes: [0, 1, 2] }],
              lanes: [
                {
                  lane: 0,
                  holder: REPLICA,
                  epoch: 3,
                  leaseExpiresAt: '2026-12-01T14:30:09.000Z',
                  backlog: 2,
                },
              ],
              unheldLanes: 0,
              halted: [
                {
                  tenantId: TENANT_ID,
                  eventId: EVENT_ID,
                  eventType: 'OrderItemAdded',
                  reason:
                    'registering orders.events-eventline.orders.OrderItemAdded: the registry refused: Incompatible artifact',
                  haltedAt: '2026-12-01T14:29:00.000Z',
                },
              ],
            }),
            ...parts.errors,
            ...noOperations,
          },
        },
      ),
    },
    '/api/v1/relay/halted-tenants/{tenantId}/resume': {
      post: operation(
        'resumeTenantPublishing',
        'Let a halted tenant’s events go again, from the one it stopped at (fix its schema first)',
        {
          parameters: [parts.tenantPath],
          responses: {
            '200': json('resumed: every relay replica reads its lane again within a second', TenantResumed, {
              tenantId: TENANT_ID,
              resumed: true,
            }),
            ...parts.errors,
            '404': parts.problemResponse(
              'the tenant is not halted',
              parts.problemExample(404, 'not-found', 'Not found', `tenant ${TENANT_ID} is not halted`),
            ),
            ...noOperations,
          },
        },
      ),
    },
    '/api/v1/kafka/topics': {
      get: operation(
        'listKafkaTopics',
        'The deployment’s topics (KAFKA_TOPIC_PREFIX) with their partitions’ offsets',
        {
          responses: {
            '200': json('the topics', KafkaTopics, {
              prefix: '',
              topics: [
                {
                  topic: 'orders.events',
                  messages: 1042,
                  partitions: [{ partition: 0, startOffset: 0, endOffset: 1042 }],
                },
              ],
            }),
            ...parts.errors,
            ...noOperations,
          },
        },
      ),
    },
    '/api/v1/kafka/consumer-groups': {
      get: operation(
        'listKafkaConsumerGroups',
        'The deployment’s consumer groups with their committed offsets and lag per partition',
        {
          responses: {
            '200': json('the groups', ConsumerGroups, {
              prefix: '',
              groups: [
                {
                  group: 'projector.orders',
                  state: 'Stable',
                  members: 1,
                  lag: 12,
                  partitions: [
                    { topic: 'orders.events', partition: 0, committedOffset: 1030, endOffset: 1042, lag: 12 },
                  ],
                },
              ],
            }),
            ...parts.errors,
            ...noOperations,
          },
        },
      ),
    },
  };
}
