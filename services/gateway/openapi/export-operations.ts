import { z } from 'zod';

type JsonSchema = Record<string, unknown>;

/** What the document shares with the export operations: its named schemas, problem answers and parameters. */
export interface DocumentParts {
  readonly ref: (name: string, definition: JsonSchema) => JsonSchema;
  readonly schema: (type: z.ZodType) => JsonSchema;
  readonly errors: JsonSchema;
  readonly tenantPath: JsonSchema;
  readonly problemResponse: (description: string, example: JsonSchema) => JsonSchema;
  readonly problemExample: (
    status: number,
    slug: string,
    title: string,
    detail: string,
    extra?: JsonSchema,
  ) => JsonSchema;
}

const cursor = z
  .string()
  .regex(/^\d{20}-\d{20}$/)
  .describe('the event’s place in commit order, as the Kafka header event-cursor: resume with ?after=');
const erased = z
  .array(z.string())
  .describe('JSON pointers into the line of the values whose subject was forgotten: null in it');

const eventLine = z.object({
  kind: z.literal('event'),
  cursor,
  eventId: z.string().uuid(),
  type: z.string(),
  schemaVersion: z.number().int(),
  aggregateType: z.string(),
  aggregateId: z.string().uuid(),
  version: z.number().int(),
  position: z.number().int(),
  occurredAt: z.string().datetime(),
  recordedAt: z.string().datetime(),
  correlationId: z.string(),
  causationId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).describe('upcast to the current schema, personal data opened'),
  erased,
});

const rowLine = z.object({
  kind: z.literal('row'),
  readModel: z.string().describe('the projection, e.g. orders'),
  table: z.string(),
  row: z
    .record(z.string(), z.unknown())
    .describe('every column by name, personal data opened; numeric columns as exact decimal text'),
  erased,
});

const endLine = z.object({
  kind: z.literal('end'),
  events: z.number().int().describe('event lines in this answer'),
  rows: z.number().int().describe('row lines in this answer'),
  cursor: cursor
    .nullable()
    .describe('the last event line’s cursor (or `after`): `after` for a later export of what is new'),
});

const TENANT_ID = '3f1c7a52-8d4e-4b6a-9c0d-2e5f7a8b9c01';
const ORDER_ID = 'a7e2c4d1-5b3f-4e8a-8d6c-1f0b9e2a3c45';
const CURSOR = '00000000000000000771-00000000000000001042';

const exampleLines = [
  {
    kind: 'event',
    cursor: CURSOR,
    eventId: '0c9d5e1a-7f2b-4a6c-8e3d-5b1f9a2c7e64',
    type: 'OrderPlaced',
    schemaVersion: 1,
    aggregateType: 'Order',
    aggregateId: ORDER_ID,
    version: 1,
    position: 1042,
    occurredAt: '2026-12-01T14:30:00.000Z',
    recordedAt: '2026-12-01T14:30:00.012Z',
    correlationId: 'req-7f3a9c',
    causationId: null,
    data: {
      customerId: 'customer-7',
      customerEmail: 'ada@example.com',
      shippingAddress: null,
      currency: 'EUR',
      items: [{ sku: 'sku-1', quantity: 2, unitPrice: 35.5 }],
    },
    erased: ['/data/shippingAddress'],
  },
  {
    kind: 'row',
    readModel: 'orders',
    table: 'orders',
    row: {
      tenant_id: TENANT_ID,
      order_id: ORDER_ID,
      customer_id: 'customer-7',
      customer_email: 'ada@example.com',
      shipping_address: null,
      status: 'placed',
      total: '71.00',
    },
    erased: ['/row/shipping_address'],
  },
  { kind: 'end', events: 1, rows: 1, cursor: CURSOR },
];

/** The export operations (docs/contracts.md §6.1): a tenant's and a subject's data as NDJSON. */
export function exportPaths(parts: DocumentParts): Record<string, Record<string, JsonSchema>> {
  const line = parts.ref('ExportLine', {
    oneOf: [
      parts.ref('ExportEventLine', parts.schema(eventLine)),
      parts.ref('ExportRowLine', parts.schema(rowLine)),
      parts.ref('ExportEndLine', parts.schema(endLine)),
    ],
    discriminator: {
      propertyName: 'kind',
      mapping: {
        event: '#/components/schemas/ExportEventLine',
        row: '#/components/schemas/ExportRowLine',
        end: '#/components/schemas/ExportEndLine',
      },
    },
  });
  const after = {
    name: 'after',
    in: 'query',
    required: false,
    schema: { type: 'string', pattern: '^\\d{20}-\\d{20}$' },
    description:
      'resume after this event line’s `cursor` (the last one received); rows are always sent whole',
    example: CURSOR,
  };
  const answer = (description: string) => ({
    description,
    content: {
      'application/x-ndjson': {
        schema: { type: 'string', description: 'one JSON object a line, each an ExportLine' },
        'x-item-schema': line,
        example: `${exampleLines.map((each) => JSON.stringify(each)).join('\n')}\n`,
      },
    },
  });
  const problems = {
    ...parts.errors,
    '400': parts.problemResponse(
      '`after` is not an event line’s cursor; `errors` names it',
      parts.problemExample(400, 'invalid-request', 'Invalid request', 'invalid query', {
        errors: [
          {
            path: '/query/after',
            message: 'must be the cursor of an event line (20 digits, "-", 20 digits)',
          },
        ],
      }),
    ),
    '404': parts.problemResponse(
      'no such tenant (another tenant’s credentials answer the same)',
      parts.problemExample(404, 'not-found', 'Not found', `no tenant ${TENANT_ID}`),
    ),
  };
  const security = [{ bearer: [] }, { apiKey: [] }];
  return {
    '/api/v1/tenants/{tenantId}/export': {
      get: {
        operationId: 'exportTenant',
        tags: ['Exports'],
        summary:
          'Every event of the tenant in commit order, then its read-model rows, opened, as NDJSON (platform admin, or the tenant’s admin)',
        security,
        parameters: [parts.tenantPath, after],
        responses: {
          '200': answer('streamed: event lines, row lines, and an end line only when complete'),
          ...problems,
        },
      },
    },
    '/api/v1/tenants/{tenantId}/subjects/{subject}/export': {
      get: {
        operationId: 'exportSubject',
        tags: ['Exports'],
        summary:
          'One data subject’s events and read-model rows: those holding values sealed with their keys, forgotten ones erased (platform admin, or the tenant’s admin)',
        security,
        parameters: [
          parts.tenantPath,
          {
            name: 'subject',
            in: 'path',
            required: true,
            schema: { type: 'string', minLength: 1, maxLength: 200 },
            description: 'whose data: e.g. a customer id, or `contact` for the tenant’s contact person',
            example: 'customer-7',
          },
          after,
        ],
        responses: {
          '200': answer('streamed, as the tenant export; a subject with no data gets only the end line'),
          ...problems,
        },
      },
    },
  };
}
