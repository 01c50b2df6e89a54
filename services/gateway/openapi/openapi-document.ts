import { z } from 'zod';
import { commandExamples } from '../../domain/command-examples.ts';
import { boundedContexts } from '../../domain/contexts.ts';
import { createTenantPayload } from '../../domain/tenants/index.ts';
import { queryParams, queryTypes } from '../../readmodels/index.ts';
import { commandRequest } from '../commands/command-request.ts';
import { routedCommands } from '../commands/routed-commands.ts';
import { erasurePaths } from './erasure-operations.ts';
import { openPersonalDataRequest } from '../routes/personal-data.ts';
import { newApiKeyRequest } from '../routes/tenants.ts';
import { administrationPaths } from './admin-operations.ts';
import { exportPaths } from './export-operations.ts';
import { relayKafkaPaths } from './relay-kafka-operations.ts';
import {
  aggregateState,
  commandResponse,
  createdTenant,
  eventList,
  issuedKey,
  openedPersonalData,
  problem,
  queryAnswer,
  readiness,
  tenantPage,
  tenantView,
} from './response-schemas.ts';

type JsonSchema = Record<string, unknown>;

/**
 * A schema as OpenAPI 3.1's JSON Schema (2020-12) sees it: a request body as its
 * sender writes it (a defaulted field is optional), a response as it is sent.
 */
function schema(type: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(type, {
    target: 'draft-2020-12',
    io,
    // Refinements (an active currency, say) have no JSON Schema; the type they refine is still right.
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

/** The document's named schemas: each defined once, referred to everywhere it is used. */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  ref(name: string, definition: JsonSchema): JsonSchema {
    this.schemas[name] = definition;
    return { $ref: `#/components/schemas/${name}` };
  }
}

const TENANT_ID = '3f1c7a52-8d4e-4b6a-9c0d-2e5f7a8b9c01';
const ORDER_ID = 'a7e2c4d1-5b3f-4e8a-8d6c-1f0b9e2a3c45';
const EVENT_ID = '0c9d5e1a-7f2b-4a6c-8e3d-5b1f9a2c7e64';
const CORRELATION_ID = 'req-7f3a9c';
/** As a Kafka record of OrderPlaced carries them: sealed with the customer's key (docs/privacy.md). */
const SEALED_EMAIL = 'elpd1.GEpj8sfNvYNx.67pdAnPxXWGEvWfu.xVRRDdfzkjoDhmsP7DWu._2G9Y2-pRwQ7ig_8f9hRzQ';
const SEALED_ADDRESS =
  'elpd1.GEpj8sfNvYNx.PVRgNI78mR6YhvE3.QHGwYcjyzm6M-KsFVn9yDR5hnPNuCs5j0PoheEfTgg.WgGcqUrhUJLpHxZFljSydw';

const queryExamples: Readonly<Record<string, object>> = {
  GetOrder: { orderId: ORDER_ID },
  ListOrders: { status: 'placed', limit: 20 },
  GetTenantStats: {},
  GetTenant: {},
};

const retryAfter = {
  'Retry-After': {
    description: 'seconds to wait before trying again',
    schema: { type: 'integer', minimum: 1 },
    example: 1,
  },
};

const problemResponse = (description: string, example: JsonSchema, headers?: JsonSchema) => ({
  description,
  ...(headers ? { headers } : {}),
  content: {
    'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, example },
  },
});

const problemExample = (
  status: number,
  slug: string,
  title: string,
  detail: string,
  extra: JsonSchema = {},
) => ({
  type: `https://eventline.dev/problems/${slug}`,
  title,
  status,
  detail,
  ...extra,
});

const errors = {
  '400': problemResponse(
    'malformed or invalid; `errors` names every offending field',
    problemExample(400, 'invalid-request', 'Invalid request', 'invalid PlaceOrder payload', {
      errors: [{ path: '/payload/items/0/quantity', message: 'must be at least 1' }],
    }),
  ),
  '401': problemResponse(
    'no valid credentials',
    problemExample(
      401,
      'unauthenticated',
      'Not authenticated',
      'no credentials: send X-API-Key or Authorization',
    ),
  ),
  '403': problemResponse(
    'the role or the tenant status does not allow it',
    problemExample(403, 'forbidden', 'Forbidden', 'this tenant is suspended'),
  ),
  '410': problemResponse(
    'the tenant was offboarded: its own credentials, and commands for it, answer this from then on',
    problemExample(410, 'gone', 'Gone', 'this tenant was offboarded'),
  ),
  '503': problemResponse(
    'a dependency is unavailable; retry after Retry-After seconds',
    problemExample(
      503,
      'service-unavailable',
      'Service unavailable',
      'the database is unavailable; retry shortly',
    ),
    retryAfter,
  ),
};

const bodyErrors = {
  '413': problemResponse(
    'body larger than the gateway takes (BODY_LIMIT_BYTES)',
    problemExample(413, 'request-too-large', 'Request too large', 'the body is larger than 262144 bytes'),
  ),
  '415': problemResponse(
    'the body is not application/json',
    problemExample(
      415,
      'unsupported-media-type',
      'Unsupported media type',
      'send Content-Type: application/json',
    ),
  ),
};

const json = (description: string, body: JsonSchema, example?: unknown) => ({
  description,
  content: { 'application/json': { schema: body, ...(example === undefined ? {} : { example }) } },
});

const correlationHeader = {
  name: 'X-Correlation-Id',
  in: 'header',
  required: false,
  schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
  description: 'echoed in the response; generated when absent',
  example: CORRELATION_ID,
};

const tenantPath = {
  name: 'tenantId',
  in: 'path',
  required: true,
  schema: { type: 'string', format: 'uuid' },
  example: TENANT_ID,
};

const commandAnswer = {
  aggregateId: ORDER_ID,
  aggregateType: 'Order',
  version: 1,
  position: 1042,
  eventIds: [EVENT_ID],
  correlationId: CORRELATION_ID,
};

const tenantExample = {
  tenantId: TENANT_ID,
  name: 'Acme',
  plan: 'pro',
  status: 'active',
  suspensionReason: null,
  quota: { commandsPerMinute: 600, maxBurst: 100, eventsPerDay: 1_000_000 },
  version: 1,
};

const recordedExample = {
  eventId: EVENT_ID,
  type: 'OrderPlaced',
  schemaVersion: 1,
  aggregateType: 'Order',
  aggregateId: ORDER_ID,
  version: 1,
  position: 1042,
  data: commandExamples.PlaceOrder,
  correlationId: CORRELATION_ID,
  causationId: '5d2b8e4f-1a3c-4b7d-9e6f-2c8a1b3d5e70',
  occurredAt: '2026-12-01T14:30:00.000Z',
  recordedAt: '2026-12-01T14:30:00.012Z',
};

/**
 * A named schema per variant (a command type, a query type), each with its
 * example, and the union of them discriminated by `type`; with the examples a
 * request body lists, one per variant.
 */
function discriminatedUnion(
  components: Components,
  union: string,
  variants: readonly { readonly type: string; readonly body: z.ZodType; readonly example: object }[],
): { body: JsonSchema; examples: JsonSchema } {
  const refs = variants.map(({ type, body, example }) =>
    components.ref(`${type}${union}`, { ...schema(body, 'input'), examples: [example] }),
  );
  return {
    body: components.ref(union, {
      oneOf: refs,
      discriminator: {
        propertyName: 'type',
        mapping: Object.fromEntries(
          variants.map(({ type }) => [type, `#/components/schemas/${type}${union}`]),
        ),
      },
    }),
    examples: Object.fromEntries(
      variants.map(({ type, example }) => [type, { summary: type, value: example }]),
    ),
  };
}

/** What tenants and the platform admin send to the command endpoints: every command type without a route of its own. */
function commandVariants() {
  return boundedContexts.flatMap((decider) =>
    Object.entries(decider.commands)
      .filter(([type]) => !(type in routedCommands))
      .map(([type, definition]) => ({
        type,
        body: commandRequest.extend({
          type: z.literal(type),
          payload: (definition as { payload: z.ZodType }).payload,
        }),
        example: { type, payload: commandExamples[type] },
      })),
  );
}

function queryVariants() {
  return queryTypes.map((type) => ({
    type,
    body: z.strictObject({ type: z.literal(type), params: queryParams[type] }),
    example: { type, params: queryExamples[type] },
  }));
}

/** The OpenAPI 3.1 document of the HTTP API, built from the schemas that validate requests. */
export function openApiDocument(): {
  readonly paths: Record<string, Record<string, JsonSchema>>;
} & JsonSchema {
  const components = new Components();
  components.ref('Problem', schema(problem));
  const commands = discriminatedUnion(components, 'Command', commandVariants());
  const queries = discriminatedUnion(components, 'Query', queryVariants());
  const CommandResponse = components.ref('CommandResponse', schema(commandResponse));
  const Tenant = components.ref('Tenant', schema(tenantView));
  const TenantPage = components.ref('TenantPage', schema(tenantPage));
  const CreateTenantRequest = components.ref('CreateTenantRequest', schema(createTenantPayload, 'input'));
  const CreatedTenant = components.ref('CreatedTenant', schema(createdTenant));
  const NewApiKeyRequest = components.ref('NewApiKeyRequest', schema(newApiKeyRequest, 'input'));
  const IssuedApiKey = components.ref('IssuedApiKey', schema(issuedKey));
  const QueryAnswer = components.ref('QueryAnswer', schema(queryAnswer));
  const AggregateState = components.ref('AggregateState', schema(aggregateState));
  const EventList = components.ref('EventList', schema(eventList));
  const Readiness = components.ref('Readiness', schema(readiness));
  const OpenPersonalDataRequest = components.ref(
    'OpenPersonalDataRequest',
    schema(openPersonalDataRequest, 'input'),
  );
  const OpenedPersonalData = components.ref('OpenedPersonalData', schema(openedPersonalData));

  const aggregatePath = [
    {
      name: 'aggregateType',
      in: 'path',
      required: true,
      schema: { type: 'string', enum: boundedContexts.map((decider) => decider.aggregateType) },
      example: 'Order',
    },
    {
      name: 'aggregateId',
      in: 'path',
      required: true,
      schema: { type: 'string', format: 'uuid' },
      example: ORDER_ID,
    },
  ];
  const commandOperation = (operationId: string, summary: string, security: JsonSchema[]) => ({
    operationId,
    tags: ['Commands'],
    summary,
    security,
    parameters: [
      correlationHeader,
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        schema: { type: 'string', minLength: 1, maxLength: 255 },
        description: 'the same key with the same body answers the first response again and appends nothing',
        example: 'place-order-7f3a9c',
      },
    ],
    requestBody: {
      required: true,
      content: { 'application/json': { schema: commands.body, examples: commands.examples } },
    },
    responses: {
      '200': json('appended to an existing aggregate', CommandResponse, { ...commandAnswer, version: 2 }),
      '201': json('created the aggregate', CommandResponse, commandAnswer),
      ...errors,
      ...bodyErrors,
      '404': problemResponse(
        'unknown aggregate (a foreign one answers the same)',
        problemExample(404, 'not-found', 'Not found', `no Order ${ORDER_ID}`),
      ),
      '409': problemResponse(
        'expectedVersion mismatch; `currentVersion` says the version now',
        problemExample(409, 'version-conflict', 'Version conflict', 'the stream moved on', {
          currentVersion: 4,
        }),
      ),
      '422': problemResponse(
        'a business rule refused it (`code` says which), or the Idempotency-Key was used with another body',
        problemExample(
          422,
          'rejected/order-not-placed',
          'Command rejected',
          'only a placed order can be shipped',
          {
            code: 'order-not-placed',
          },
        ),
      ),
      '429': problemResponse(
        'over the tenant quota; retry after Retry-After seconds',
        problemExample(429, 'quota-exceeded', 'Quota exceeded', 'over the quota of 600 commands per minute'),
        retryAfter,
      ),
    },
  });
  const tenantAuth = [{ apiKey: [] }, { bearer: [] }];
  const administration = administrationPaths({
    ref: (name, definition) => components.ref(name, definition),
    schema: (type, io) => schema(type, io),
    bodyErrors,
    errors,
    tenantPath,
    aggregatePath,
    problemResponse,
    problemExample,
    eventList: EventList,
    aggregateState: AggregateState,
    examples: { tenantId: TENANT_ID, orderId: ORDER_ID, recordedEvent: recordedExample },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Eventline gateway',
      version: '0.1.0',
      description: 'Commands, queries and history of Eventline (docs/contracts.md §3–§7).',
    },
    servers: [{ url: 'http://127.0.0.1:3000' }],
    tags: [
      { name: 'Tenants', description: 'tenants and their API keys (docs/contracts.md §3)' },
      { name: 'Commands', description: 'decisions appended to the event store (§4)' },
      { name: 'Queries', description: 'answers from the read models (§5)' },
      { name: 'History', description: 'streams, time travel and correlations (§6)' },
      { name: 'Exports', description: 'a tenant’s or a data subject’s data, streamed as NDJSON (§6.1)' },
      { name: 'Personal data', description: 'sealed personal data, for downstream consumers (§11)' },
      {
        name: 'Administration',
        description: 'what the admin console shows of a tenant: keys, usage, streams and their history (§12)',
      },
      { name: 'Operations', description: 'probes and machine-readable contracts (§7, §8)' },
    ],
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'a tenant JWT (claims tenant_id, sub, roles) or the platform admin token',
        },
      },
      schemas: components.schemas,
    },
    paths: {
      '/api/v1/tenants': {
        get: {
          operationId: 'listTenants',
          tags: ['Tenants'],
          summary: 'List tenants, by name, a page at a time (platform admin)',
          security: [{ bearer: [] }],
          parameters: [
            {
              name: 'search',
              in: 'query',
              required: false,
              schema: { type: 'string', minLength: 1, maxLength: 200 },
              description: 'only tenants whose name contains it, in any case',
              example: 'acme',
            },
            {
              name: 'limit',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
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
            '200': json('a page of tenants', TenantPage, { items: [tenantExample], nextCursor: null }),
            ...errors,
          },
        },
        post: {
          operationId: 'createTenant',
          tags: ['Tenants'],
          summary: 'Create a tenant and its first API key (platform admin)',
          security: [{ bearer: [] }],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: CreateTenantRequest, example: commandExamples.CreateTenant },
            },
          },
          responses: {
            '201': json('the tenant and its first API key, shown once', CreatedTenant, {
              tenantId: TENANT_ID,
              apiKey: 'el_0123456789abcdef_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
              keyId: '0123456789abcdef',
              roles: ['admin', 'writer', 'reader'],
            }),
            ...errors,
            ...bodyErrors,
          },
        },
      },
      '/api/v1/tenants/{tenantId}': {
        get: {
          operationId: 'getTenant',
          tags: ['Tenants'],
          summary: 'A tenant (platform admin, or its own admin)',
          security: [{ bearer: [] }, { apiKey: [] }],
          parameters: [tenantPath],
          responses: {
            '200': json('the tenant', Tenant, tenantExample),
            ...errors,
            '404': problemResponse(
              'no such tenant',
              problemExample(404, 'not-found', 'Not found', `no tenant ${TENANT_ID}`),
            ),
          },
        },
      },
      '/api/v1/tenants/{tenantId}/api-keys': {
        ...administration.apiKeys,
        post: {
          operationId: 'issueApiKey',
          tags: ['Tenants'],
          summary: 'Issue an API key (platform admin, or the tenant’s admin)',
          security: [{ bearer: [] }, { apiKey: [] }],
          parameters: [tenantPath],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: NewApiKeyRequest, example: { roles: ['reader'] } } },
          },
          responses: {
            '201': json('the key, shown once', IssuedApiKey, {
              keyId: 'fedcba9876543210',
              apiKey: 'el_fedcba9876543210_YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY',
              roles: ['reader'],
            }),
            ...errors,
            ...bodyErrors,
            '404': problemResponse(
              'no such tenant',
              problemExample(404, 'not-found', 'Not found', `no tenant ${TENANT_ID}`),
            ),
          },
        },
      },
      '/api/v1/tenants/{tenantId}/api-keys/{keyId}': {
        delete: {
          operationId: 'revokeApiKey',
          tags: ['Tenants'],
          summary: 'Revoke an API key',
          security: [{ bearer: [] }, { apiKey: [] }],
          parameters: [
            tenantPath,
            {
              name: 'keyId',
              in: 'path',
              required: true,
              schema: { type: 'string' },
              example: 'fedcba9876543210',
            },
          ],
          responses: {
            '204': { description: 'revoked' },
            ...errors,
            '404': problemResponse(
              'no such key',
              problemExample(404, 'not-found', 'Not found', 'no API key fedcba9876543210'),
            ),
          },
        },
      },
      ...exportPaths({
        ref: (name, definition) => components.ref(name, definition),
        schema: (type) => schema(type),
        errors,
        tenantPath,
        problemResponse,
        problemExample,
      }),
      ...administration.paths,
      ...relayKafkaPaths({
        ref: (name, definition) => components.ref(name, definition),
        schema: (type) => schema(type),
        errors,
        tenantPath,
        problemResponse,
        problemExample,
      }),
      ...erasurePaths({
        ref: (name, definition) => components.ref(name, definition),
        schema: (type) => schema(type),
        errors,
        bodyErrors,
        tenantPath,
        problemResponse,
        problemExample,
      }),
      '/api/v1/tenants/{tenantId}/commands/execute': {
        post: {
          ...commandOperation(
            'executeTenantCommand',
            'Execute a command for a tenant (platform admin: SuspendTenant, ReactivateTenant, SetTenantQuota)',
            [{ bearer: [] }],
          ),
          parameters: [tenantPath, correlationHeader],
        },
      },
      '/api/v1/commands/execute': {
        post: commandOperation('executeCommand', 'Execute a command', tenantAuth),
      },
      '/api/v1/queries/execute': {
        post: {
          operationId: 'executeQuery',
          tags: ['Queries'],
          summary: 'Run a query over the read models',
          security: tenantAuth,
          parameters: [
            correlationHeader,
            {
              name: 'X-Min-Position',
              in: 'header',
              required: false,
              schema: { type: 'integer', minimum: 1 },
              description: 'wait until the read model has applied the tenant’s events up to this position',
              example: 1042,
            },
            {
              name: 'X-Wait-Timeout-Ms',
              in: 'header',
              required: false,
              schema: { type: 'integer', minimum: 0, maximum: 30000 },
              description: 'how long to wait (default 5000)',
            },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: queries.body, examples: queries.examples } },
          },
          responses: {
            '200': {
              ...json('the answer and the read model position it reflects', QueryAnswer, {
                data: {
                  orderId: ORDER_ID,
                  customerId: 'customer-7',
                  status: 'placed',
                  currency: 'EUR',
                  total: 71,
                },
                position: 1042,
              }),
              headers: {
                'X-Cache': {
                  description:
                    'how the Redis query cache took part: stale means the read models were unreachable and this is the last cached answer',
                  schema: { type: 'string', enum: ['hit', 'miss', 'bypass', 'stale'] },
                },
                Warning: {
                  description: 'present on a stale answer: 110 - "Response is Stale"',
                  schema: { type: 'string' },
                },
              },
            },
            ...errors,
            ...bodyErrors,
            '404': problemResponse(
              'no such order (a foreign one answers the same)',
              problemExample(404, 'not-found', 'Not found', `no order ${ORDER_ID}`),
            ),
            '504': problemResponse(
              'the read model did not reach X-Min-Position in time',
              problemExample(
                504,
                'read-model-behind',
                'Read model behind',
                'the read model is at 1040, not 1042',
              ),
            ),
          },
        },
      },
      '/api/v1/aggregates/{aggregateType}/{aggregateId}': {
        get: {
          operationId: 'getAggregateState',
          tags: ['History'],
          summary: 'An aggregate’s state, now or as of a version or an instant',
          security: tenantAuth,
          parameters: [
            ...aggregatePath,
            {
              name: 'version',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1 },
              example: 1,
            },
            {
              name: 'at',
              in: 'query',
              required: false,
              schema: { type: 'string', format: 'date-time' },
              example: '2026-12-01T14:30:00Z',
            },
          ],
          responses: {
            '200': json('the state', AggregateState, { state: { status: 'placed' }, version: 1 }),
            ...errors,
            '404': problemResponse(
              'no such aggregate',
              problemExample(404, 'not-found', 'Not found', 'no such aggregate'),
            ),
          },
        },
      },
      '/api/v1/aggregates/{aggregateType}/{aggregateId}/events': {
        get: {
          operationId: 'listAggregateEvents',
          tags: ['History'],
          summary: 'An aggregate’s events, upcast to current schemas',
          security: tenantAuth,
          parameters: [
            ...aggregatePath,
            { name: 'fromVersion', in: 'query', required: false, schema: { type: 'integer', minimum: 1 } },
            {
              name: 'limit',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: 1000 },
            },
          ],
          responses: {
            '200': json('the events', EventList, { events: [recordedExample] }),
            ...errors,
            '404': problemResponse(
              'no such aggregate',
              problemExample(404, 'not-found', 'Not found', 'no such aggregate'),
            ),
          },
        },
      },
      '/api/v1/events': {
        get: {
          operationId: 'listEventsByCorrelation',
          tags: ['History'],
          summary: 'Every event of a correlation, in order',
          security: tenantAuth,
          parameters: [
            {
              name: 'correlationId',
              in: 'query',
              required: true,
              schema: { type: 'string' },
              example: CORRELATION_ID,
            },
          ],
          responses: { '200': json('the events', EventList, { events: [recordedExample] }), ...errors },
        },
      },
      '/api/v1/tenants/{tenantId}/personal-data/open': {
        post: {
          operationId: 'openPersonalData',
          tags: ['Personal data'],
          summary:
            'Open the sealed personal data in JSON read elsewhere, e.g. a decoded Kafka record (the tenant’s reader, or the platform admin)',
          security: [{ apiKey: [] }, { bearer: [] }],
          parameters: [tenantPath, correlationHeader],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: OpenPersonalDataRequest,
                example: {
                  data: {
                    customerId: 'customer-7',
                    customerEmail: SEALED_EMAIL,
                    shippingAddress: SEALED_ADDRESS,
                    currency: 'EUR',
                    items: [{ sku: 'sku-1', quantity: 2, unitPrice: 35.5 }],
                  },
                },
              },
            },
          },
          responses: {
            '200': json('the data opened; values whose subject was forgotten read null', OpenedPersonalData, {
              data: {
                customerId: 'customer-7',
                customerEmail: 'ada@example.com',
                shippingAddress: null,
                currency: 'EUR',
                items: [{ sku: 'sku-1', quantity: 2, unitPrice: 35.5 }],
              },
              erased: ['/shippingAddress'],
            }),
            ...errors,
            ...bodyErrors,
            '400': problemResponse(
              'no `data`, or a sealed value that does not open (altered, or sealed for another tenant or subject); `errors` names it',
              problemExample(400, 'invalid-request', 'Invalid request', 'a sealed value does not open', {
                errors: [
                  {
                    path: '/data/customerEmail',
                    message: 'altered, or sealed for another tenant or subject',
                  },
                ],
              }),
            ),
            '404': problemResponse(
              'no such tenant (another tenant’s credentials answer the same)',
              problemExample(404, 'not-found', 'Not found', `no tenant ${TENANT_ID}`),
            ),
          },
        },
      },
      '/health': {
        get: {
          operationId: 'health',
          tags: ['Operations'],
          summary: 'Liveness (no I/O)',
          security: [],
          responses: { '200': json('alive', { type: 'object' }, { status: 'ok' }) },
        },
      },
      '/ready': {
        get: {
          operationId: 'ready',
          tags: ['Operations'],
          summary: 'Readiness',
          security: [],
          responses: {
            '200': json('ok or degraded', Readiness, {
              status: 'ok',
              checks: { postgres: { status: 'up', latencyMs: 1 } },
            }),
            '503': json('down', Readiness, {
              status: 'down',
              checks: { postgres: { status: 'down', error: 'connection refused: connect ECONNREFUSED' } },
            }),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          tags: ['Operations'],
          summary: 'This document',
          security: [],
          responses: { '200': json('OpenAPI 3.1', { type: 'object' }) },
        },
      },
      '/asyncapi.json': {
        get: {
          operationId: 'getAsyncApiJson',
          tags: ['Operations'],
          summary: 'The AsyncAPI 3.0 document of the installation’s topics',
          security: [],
          responses: { '200': json('AsyncAPI 3.0', { type: 'object' }) },
        },
      },
      '/asyncapi.yaml': {
        get: {
          operationId: 'getAsyncApiYaml',
          tags: ['Operations'],
          summary: 'The AsyncAPI document, as YAML',
          security: [],
          responses: {
            '200': {
              description: 'AsyncAPI 3.0',
              content: { 'application/yaml': { schema: { type: 'string' } } },
            },
          },
        },
      },
    },
  };
}
