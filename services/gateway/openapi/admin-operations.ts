import { z } from 'zod';
import { replayRequest } from '../routes/dead-letters.ts';

type JsonSchema = Record<string, unknown>;

/** What the document shares with the administration operations: named schemas, problem answers, parameters. */
export interface AdministrationParts {
  readonly ref: (name: string, definition: JsonSchema) => JsonSchema;
  readonly schema: (type: z.ZodType, io?: 'input' | 'output') => JsonSchema;
  /** 413 and 415, for an operation with a body. */
  readonly bodyErrors: JsonSchema;
  readonly errors: JsonSchema;
  readonly tenantPath: JsonSchema;
  readonly aggregatePath: readonly JsonSchema[];
  readonly problemResponse: (description: string, example: JsonSchema, headers?: JsonSchema) => JsonSchema;
  readonly problemExample: (status: number, slug: string, title: string, detail: string) => JsonSchema;
  /** The History operations' own answers, which the tenant-scoped ones share. */
  readonly eventList: JsonSchema;
  readonly aggregateState: JsonSchema;
  readonly examples: { readonly tenantId: string; readonly orderId: string; readonly recordedEvent: object };
}

const apiKeyList = z.object({
  items: z.array(
    z.object({
      keyId: z.string(),
      roles: z.array(z.enum(['admin', 'writer', 'reader'])),
      createdAt: z.string().datetime(),
      revokedAt: z.string().datetime().nullable(),
    }),
  ),
});

const tenantUsage = z.object({
  commands: z.object({
    perMinute: z.number().int(),
    maxBurst: z.number().int(),
    availableNow: z
      .number()
      .int()
      .describe('commands the tenant could send at once now (its bucket’s tokens)'),
  }),
  events: z.object({
    perDay: z.number().int(),
    storedToday: z.number().int().describe('events stored since midnight UTC, as every gateway counted them'),
  }),
});

const streamPage = z.object({
  types: z.array(z.object({ aggregateType: z.string(), streams: z.number().int() })),
  items: z.array(
    z.object({
      aggregateType: z.string(),
      aggregateId: z.string().uuid(),
      version: z.number().int(),
      createdAt: z.string().datetime(),
      updatedAt: z.string().datetime(),
    }),
  ),
  nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last'),
});

const projectionStatus = z.object({
  projections: z.array(
    z.object({
      projection: z.string(),
      group: z.string().describe('its consumer group'),
      lag: z.number().int().describe('records published that it has not applied, over its partitions'),
      stalled: z.boolean(),
      parked: z.number().int().describe('events it parked on its dead-letter topic'),
      partitions: z.array(
        z.object({
          topic: z.string(),
          partition: z.number().int(),
          nextOffset: z.number().int(),
          endOffset: z.number().int(),
          lag: z.number().int(),
          lastAppliedAt: z.string().datetime().nullable(),
          secondsBehind: z
            .number()
            .int()
            .describe('while behind, seconds since it last applied a batch of this partition'),
          stalled: z
            .boolean()
            .describe('behind, and nothing applied for longer than the stall threshold (60 s)'),
        }),
      ),
    }),
  ),
  rebuilds: z.array(
    z.object({
      projection: z.string(),
      state: z.string(),
      pass: z.number().int(),
      eventsApplied: z.number().int(),
      eventsTotal: z.number().int(),
      startedAt: z.string().datetime(),
      updatedAt: z.string().datetime(),
      swappedAt: z.string().datetime().nullable(),
      running: z.boolean().describe('this gateway runs it now'),
      failure: z.string().nullable(),
    }),
  ),
});

const rebuildStarted = z.object({ projection: z.string() });

const consistencyReport = z.object({
  projection: z.string(),
  consistent: z.boolean(),
  eventsReplayed: z.number().int(),
  tables: z.array(
    z.object({
      table: z.string(),
      missing: z.number().int(),
      unexpected: z.number().int(),
      samples: z.array(z.unknown()),
    }),
  ),
});

const deadLetter = z.object({
  projection: z.string(),
  deadLetterTopic: z.string().describe('<source topic>.<projection>.dlq'),
  topic: z.string(),
  partition: z.number().int(),
  offset: z.number().int(),
  eventId: z.string().uuid(),
  eventType: z.string(),
  tenantId: z.string().uuid(),
  error: z.string(),
  attempts: z.number().int(),
  parkedAt: z.string().datetime(),
  replayedAt: z.string().datetime().nullable(),
});

const deadLetterList = z.object({
  items: z.array(deadLetter).describe('newest first, at most 500'),
  truncated: z.boolean(),
});

const deadLetterDetail = z.object({
  parked: deadLetter,
  event: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('the event as the event store holds it, upcast; personal data sealed'),
});

const replayOutcomes = z.object({
  outcomes: z.array(
    z.object({
      eventId: z.string(),
      outcome: z.enum(['applied', 'already replayed', 'not recorded', 'failed']),
      detail: z.string().optional(),
    }),
  ),
});

const json = (description: string, body: JsonSchema, example: unknown) => ({
  description,
  content: { 'application/json': { schema: body, example } },
});

/**
 * docs/contracts.md §12: the admin API behind the console — for the platform
 * admin, or the tenant's own admin; another tenant's id answers 404.
 */
export function administrationPaths(parts: AdministrationParts): {
  readonly apiKeys: Record<string, JsonSchema>;
  readonly paths: Record<string, Record<string, JsonSchema>>;
} {
  const { tenantId, orderId, recordedEvent } = parts.examples;
  const EVENT_ID = '0c9d5e1a-7f2b-4a6c-8e3d-5b1f9a2c7e64';
  const deadLetterExample = {
    projection: 'orders',
    deadLetterTopic: 'orders.events.orders.dlq',
    topic: 'orders.events',
    partition: 3,
    offset: 1041,
    eventId: EVENT_ID,
    eventType: 'OrderPlaced',
    tenantId,
    error: 'TypeError: Cannot read properties of undefined',
    attempts: 3,
    parkedAt: '2026-12-01T14:30:00.000Z',
    replayedAt: null,
  };
  const ApiKeyList = parts.ref('ApiKeyList', parts.schema(apiKeyList));
  const TenantUsage = parts.ref('TenantUsage', parts.schema(tenantUsage));
  const StreamPage = parts.ref('StreamPage', parts.schema(streamPage));
  const ProjectionStatus = parts.ref('ProjectionStatus', parts.schema(projectionStatus));
  const RebuildStarted = parts.ref('RebuildStarted', parts.schema(rebuildStarted));
  const ConsistencyReport = parts.ref('ConsistencyReport', parts.schema(consistencyReport));
  const DeadLetterList = parts.ref('DeadLetterList', parts.schema(deadLetterList));
  const DeadLetterDetail = parts.ref('DeadLetterDetail', parts.schema(deadLetterDetail));
  const ReplayRequest = parts.ref('ReplayDeadLettersRequest', parts.schema(replayRequest, 'input'));
  const ReplayOutcomes = parts.ref('ReplayOutcomes', parts.schema(replayOutcomes));
  const security = [{ bearer: [] }, { apiKey: [] }];
  const projectionPath = {
    name: 'name',
    in: 'path',
    required: true,
    schema: { type: 'string' },
    example: 'orders',
  };
  const noOperations = {
    '503': parts.problemResponse(
      'this gateway has no OPERATIONS_DATABASE_URL, or PostgreSQL or Kafka is unavailable',
      parts.problemExample(
        503,
        'service-unavailable',
        'Service unavailable',
        'projection operations are off on this gateway: set OPERATIONS_DATABASE_URL (docs/console.md)',
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
  const noProjection = {
    '404': parts.problemResponse(
      'no such projection',
      parts.problemExample(404, 'not-found', 'Not found', 'no projection ordres'),
    ),
  };
  const platformOperation = (operationId: string, summary: string, extra: JsonSchema) => ({
    operationId,
    tags: ['Administration'],
    summary,
    security: [{ bearer: [] }],
    ...extra,
  });
  const noTenant = {
    '404': parts.problemResponse(
      'no such tenant (another tenant’s, for a tenant admin, answers the same)',
      parts.problemExample(404, 'not-found', 'Not found', `no tenant ${tenantId}`),
    ),
  };
  const noAggregate = {
    '404': parts.problemResponse(
      'no such aggregate in this tenant',
      parts.problemExample(404, 'not-found', 'Not found', 'no such aggregate'),
    ),
  };
  const operation = (operationId: string, summary: string, extra: JsonSchema) => ({
    operationId,
    tags: ['Administration'],
    summary,
    security,
    ...extra,
  });
  return {
    apiKeys: {
      get: operation('listApiKeys', 'A tenant’s API keys: ids, roles and dates, never a secret', {
        parameters: [parts.tenantPath],
        responses: {
          '200': json('its keys, newest first', ApiKeyList, {
            items: [
              {
                keyId: 'fedcba9876543210',
                roles: ['reader'],
                createdAt: '2026-12-01T14:30:00.000Z',
                revokedAt: null,
              },
            ],
          }),
          ...parts.errors,
          ...noTenant,
        },
      }),
    },
    paths: {
      '/api/v1/projections': {
        get: platformOperation('listProjections', 'Each projection’s lag per partition, and the rebuilds', {
          responses: {
            '200': json('lag and rebuilds', ProjectionStatus, {
              projections: [
                {
                  projection: 'orders',
                  group: 'eventline.projector.orders',
                  lag: 12,
                  stalled: false,
                  parked: 0,
                  partitions: [
                    {
                      topic: 'orders.events',
                      partition: 0,
                      nextOffset: 1030,
                      endOffset: 1042,
                      lag: 12,
                      lastAppliedAt: '2026-12-01T14:30:00.000Z',
                      secondsBehind: 1,
                      stalled: false,
                    },
                  ],
                },
              ],
              rebuilds: [],
            }),
            ...parts.errors,
            ...noOperations,
          },
        }),
      },
      '/api/v1/projections/{name}/rebuild': {
        post: platformOperation(
          'rebuildProjection',
          'Start rebuilding a projection from the event store beside the live tables, swapped in at the end; progress in listProjections',
          {
            parameters: [projectionPath],
            responses: {
              '202': json('started', RebuildStarted, { projection: 'orders' }),
              ...parts.errors,
              ...noProjection,
              '422': parts.problemResponse(
                'this gateway is rebuilding it already',
                parts.problemExample(
                  422,
                  'rejected/rebuild-running',
                  'Command rejected',
                  'orders is being rebuilt by this gateway already',
                ),
              ),
              ...noOperations,
            },
          },
        ),
      },
      '/api/v1/projections/{name}/verify': {
        post: platformOperation(
          'verifyProjection',
          'Replay the event store into scratch tables and compare them row for row with the live read model',
          {
            parameters: [projectionPath],
            responses: {
              '200': json('the comparison', ConsistencyReport, {
                projection: 'orders',
                consistent: true,
                eventsReplayed: 1042,
                tables: [{ table: 'orders', missing: 0, unexpected: 0, samples: [] }],
              }),
              ...parts.errors,
              ...noProjection,
              ...noOperations,
            },
          },
        ),
      },
      '/api/v1/dead-letters': {
        get: platformOperation('listDeadLetters', 'Parked events, newest first, filtered', {
          parameters: [
            {
              name: 'projection',
              in: 'query',
              required: false,
              schema: { type: 'string' },
              example: 'orders',
            },
            { name: 'tenant', in: 'query', required: false, schema: { type: 'string', format: 'uuid' } },
            {
              name: 'error',
              in: 'query',
              required: false,
              schema: { type: 'string' },
              description: 'a part of the error, in any case',
            },
            {
              name: 'state',
              in: 'query',
              required: false,
              schema: { type: 'string', enum: ['parked', 'replayed'] },
            },
          ],
          responses: {
            '200': json('the parked events', DeadLetterList, {
              items: [deadLetterExample],
              truncated: false,
            }),
            ...parts.errors,
            ...noOperations,
          },
        }),
      },
      '/api/v1/dead-letters/{projection}/{eventId}': {
        get: platformOperation('getDeadLetter', 'One parked event, with the event itself decoded', {
          parameters: [
            { ...projectionPath, name: 'projection' },
            { name: 'eventId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          ],
          responses: {
            '200': json('the parked event and the event', DeadLetterDetail, {
              parked: deadLetterExample,
              event: { ...recordedEvent },
            }),
            ...parts.errors,
            '404': parts.problemResponse(
              'no such parked event',
              parts.problemExample(404, 'not-found', 'Not found', `no event ${EVENT_ID} parked by orders`),
            ),
            ...noOperations,
          },
        }),
      },
      '/api/v1/dead-letters/replay': {
        post: platformOperation(
          'replayDeadLetters',
          'Apply a projection’s parked events, or one of them, with this gateway’s code, each at most once',
          {
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: ReplayRequest,
                  example: { projection: 'orders', eventId: EVENT_ID },
                },
              },
            },
            responses: {
              '200': json('what became of each', ReplayOutcomes, {
                outcomes: [{ eventId: EVENT_ID, outcome: 'applied' }],
              }),
              ...parts.errors,
              ...parts.bodyErrors,
              ...noProjection,
              ...noOperations,
            },
          },
        ),
      },
      '/api/v1/tenants/{tenantId}/usage': {
        get: operation('getTenantUsage', 'What a tenant uses of its quota now', {
          parameters: [parts.tenantPath],
          responses: {
            '200': json('its quota and use', TenantUsage, {
              commands: { perMinute: 600, maxBurst: 100, availableNow: 97 },
              events: { perDay: 1_000_000, storedToday: 1_204 },
            }),
            ...parts.errors,
            ...noTenant,
          },
        }),
      },
      '/api/v1/tenants/{tenantId}/streams': {
        get: operation('listTenantStreams', 'A tenant’s streams by aggregate type, a page at a time', {
          parameters: [
            parts.tenantPath,
            { name: 'type', in: 'query', required: false, schema: { type: 'string' }, example: 'Order' },
            {
              name: 'limit',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
            },
            {
              name: 'cursor',
              in: 'query',
              required: false,
              schema: { type: 'string' },
              description: 'the nextCursor of the previous page',
            },
          ],
          responses: {
            '200': json('counts per type, and a page of streams in (type, id) order', StreamPage, {
              types: [{ aggregateType: 'Order', streams: 1 }],
              items: [
                {
                  aggregateType: 'Order',
                  aggregateId: orderId,
                  version: 2,
                  createdAt: '2026-12-01T14:30:00.000Z',
                  updatedAt: '2026-12-01T14:31:00.000Z',
                },
              ],
              nextCursor: null,
            }),
            ...parts.errors,
            ...noTenant,
          },
        }),
      },
      '/api/v1/tenants/{tenantId}/aggregates/{aggregateType}/{aggregateId}': {
        get: operation(
          'getTenantAggregateState',
          'A tenant’s aggregate’s state, now or as of a version or an instant',
          {
            parameters: [
              parts.tenantPath,
              ...parts.aggregatePath,
              {
                name: 'version',
                in: 'query',
                required: false,
                schema: { type: 'integer', minimum: 1 },
                example: 1,
              },
              { name: 'at', in: 'query', required: false, schema: { type: 'string', format: 'date-time' } },
            ],
            responses: {
              '200': json('the state', parts.aggregateState, { state: { status: 'placed' }, version: 1 }),
              ...parts.errors,
              ...noAggregate,
            },
          },
        ),
      },
      '/api/v1/tenants/{tenantId}/aggregates/{aggregateType}/{aggregateId}/events': {
        get: operation(
          'listTenantAggregateEvents',
          'A tenant’s aggregate’s events, upcast; personal data opened for the tenant’s admin only',
          {
            parameters: [
              parts.tenantPath,
              ...parts.aggregatePath,
              { name: 'fromVersion', in: 'query', required: false, schema: { type: 'integer', minimum: 1 } },
              {
                name: 'limit',
                in: 'query',
                required: false,
                schema: { type: 'integer', minimum: 1, maximum: 1000 },
              },
            ],
            responses: {
              '200': json('the events', parts.eventList, { events: [recordedEvent] }),
              ...parts.errors,
              ...noAggregate,
            },
          },
        ),
      },
      '/api/v1/tenants/{tenantId}/events': {
        get: operation(
          'listTenantEventsByCorrelation',
          'Every event of a correlation in a tenant, in order',
          {
            parameters: [
              parts.tenantPath,
              {
                name: 'correlationId',
                in: 'query',
                required: true,
                schema: { type: 'string' },
                example: 'req-7f3a9c',
              },
            ],
            responses: {
              '200': json('the events', parts.eventList, { events: [recordedEvent] }),
              ...parts.errors,
              ...noTenant,
            },
          },
        ),
      },
    },
  };
}
