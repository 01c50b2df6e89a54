import { z } from 'zod';

type JsonSchema = Record<string, unknown>;

/** What the document shares with the erasure operations: its named schemas, problem answers and parameters. */
export interface ErasureDocumentParts {
  readonly ref: (name: string, definition: JsonSchema) => JsonSchema;
  readonly schema: (type: z.ZodType) => JsonSchema;
  readonly errors: JsonSchema;
  /** 413 and 415: what an operation with a body may answer. */
  readonly bodyErrors: JsonSchema;
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

const TENANT_ID = '3f1c7a52-8d4e-4b6a-9c0d-2e5f7a8b9c01';
const AT = '2026-12-01T09:30:00.000Z';

/** services/erasure ForgetReport, as the API answers it. */
const forgetReport = z.object({
  tenantId: z.string().uuid(),
  subject: z.string(),
  forgottenAt: z.string().datetime(),
  auditEventId: z.string().uuid().describe('the SubjectForgotten event recording this request'),
  keysDestroyed: z
    .number()
    .int()
    .describe('data keys destroyed now: 0 when forgotten before (forgetting again is harmless)'),
  plaintextCopiesErased: z
    .literal(0)
    .describe('personal data is only ever stored sealed, so there is no plaintext copy to erase'),
  unreadableFrom: z.array(z.string()).describe('where the sealed copies are, now unreadable'),
});

/** services/erasure OffboardReport, as the API answers it. */
const offboardReport = z.object({
  tenantId: z.string().uuid(),
  offboardedAt: z.string().datetime(),
  auditEventId: z
    .string()
    .uuid()
    .nullable()
    .describe('the TenantOffboarded event; null when a rerun found the tenant offboarded already'),
  erased: z.object({
    dataKeys: z.number().int(),
    apiKeys: z.number().int(),
    readModelRows: z.record(z.string(), z.number().int()).describe('rows deleted, by read-model table'),
    redisKeys: z.number().int().describe('cached answers, cache generations, quota counters'),
  }),
  remains: z.object({
    events: z.string().describe('the events stay, append-only; their personal data is unreadable'),
    kafka: z
      .array(z.object({ topic: z.string(), retainedUntil: z.string().datetime().nullable() }))
      .describe('until when each topic’s retention keeps the records (ciphertext for personal data)'),
  }),
});

const offboardRequest = z
  .object({ reason: z.string().max(500).optional().describe('why the tenant leaves; recorded in the event') })
  .strict();

/** docs/contracts.md §3: forgetting a person, offboarding a tenant (docs/privacy.md). */
export function erasurePaths(parts: ErasureDocumentParts): Record<string, JsonSchema> {
  const { errors, tenantPath, problemResponse, problemExample } = parts;
  const ForgetReport = parts.ref('ForgetReport', parts.schema(forgetReport));
  const OffboardReport = parts.ref('OffboardReport', parts.schema(offboardReport));
  const gone = {
    '410': problemResponse(
      'the tenant was offboarded',
      problemExample(410, 'gone', 'Gone', 'this tenant was offboarded'),
    ),
  };
  const noTenant = {
    '404': problemResponse(
      'no such tenant (another tenant’s credentials answer the same)',
      problemExample(404, 'not-found', 'Not found', `no tenant ${TENANT_ID}`),
    ),
  };
  return {
    '/api/v1/tenants/{tenantId}/subjects/{subject}/forget': {
      post: {
        operationId: 'forgetSubject',
        tags: ['Personal data'],
        summary:
          'Forget a data subject (GDPR art. 17): destroy their data keys, so every copy of their personal data reads as erased (the tenant’s admin, or the platform admin)',
        security: [{ apiKey: [] }, { bearer: [] }],
        parameters: [
          tenantPath,
          {
            name: 'subject',
            in: 'path',
            required: true,
            description: 'the subject’s id as the events name it: a customer id, or `contact`',
            schema: { type: 'string', minLength: 1, maxLength: 200 },
            example: 'customer-7',
          },
        ],
        responses: {
          '200': {
            description: 'forgotten; again for a subject forgotten before (keysDestroyed 0)',
            content: {
              'application/json': {
                schema: ForgetReport,
                example: {
                  tenantId: TENANT_ID,
                  subject: 'customer-7',
                  forgottenAt: AT,
                  auditEventId: '6b0f6c1e-2f1d-4f55-9f0e-1d2c3b4a5f60',
                  keysDestroyed: 1,
                  plaintextCopiesErased: 0,
                  unreadableFrom: ['events', 'outbox', 'kafka event topics', 'read models'],
                },
              },
            },
          },
          ...errors,
          ...noTenant,
          ...gone,
        },
      },
    },
    '/api/v1/tenants/{tenantId}/offboard': {
      post: {
        operationId: 'offboardTenant',
        tags: ['Personal data'],
        summary:
          'Offboard a tenant: destroy its data keys, revoke its API keys, delete its read models, cache entries and quota counters; its commands and queries answer 410 from then on (the tenant’s admin, or the platform admin). Run again after a failure, it finishes the job.',
        security: [{ apiKey: [] }, { bearer: [] }],
        parameters: [tenantPath],
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: parts.ref('OffboardRequest', parts.schema(offboardRequest)),
              example: { reason: 'the contract ended' },
            },
          },
        },
        responses: {
          '200': {
            description: 'offboarded, with what was erased and what remains until when',
            content: {
              'application/json': {
                schema: OffboardReport,
                example: {
                  tenantId: TENANT_ID,
                  offboardedAt: AT,
                  auditEventId: '9a7e3c2b-1d0f-4e6a-8b5c-4d3e2f1a0b9c',
                  erased: {
                    dataKeys: 812,
                    apiKeys: 3,
                    readModelRows: { orders: 1200, tenants: 1 },
                    redisKeys: 9,
                  },
                  remains: {
                    events: 'every event, append-only: metadata readable, personal data unreadable',
                    kafka: [{ topic: 'orders.events', retainedUntil: '2026-12-31T09:30:00.000Z' }],
                  },
                },
              },
            },
          },
          ...errors,
          ...parts.bodyErrors,
          ...noTenant,
        },
      },
    },
  };
}
