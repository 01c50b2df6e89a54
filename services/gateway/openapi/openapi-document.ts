import { z } from 'zod';
import { boundedContexts } from '../../domain/contexts.ts';
import { createTenantPayload } from '../../domain/tenants/index.ts';
import { queryParams, queryTypes } from '../../readmodels/index.ts';
import { commandRequest } from '../commands/command-request.ts';
import { newApiKeyRequest } from '../routes/tenants.ts';
import {
  aggregateState,
  commandResponse,
  createdTenant,
  eventList,
  issuedKey,
  problem,
  readiness,
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

/** One request body variant per command type, each with that command's payload schema. */
function commandBodies(): JsonSchema[] {
  return boundedContexts.flatMap((decider) =>
    Object.entries(decider.commands)
      .filter(([type]) => type !== 'CreateTenant')
      .map(([type, definition]) =>
        schema(
          commandRequest.extend({
            type: z.literal(type),
            payload: (definition as { payload: z.ZodType }).payload,
          }),
          'input',
        ),
      ),
  );
}

/** One request body variant per query type, each with that query's params schema. */
function queryBodies(): JsonSchema[] {
  return queryTypes.map((type) =>
    schema(z.strictObject({ type: z.literal(type), params: queryParams[type] }), 'input'),
  );
}

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const json = (description: string, body: JsonSchema) => ({
  description,
  content: { 'application/json': { schema: body } },
});

const commonErrors = {
  '400': problemResponse('malformed or invalid; `errors` names every offending field'),
  '401': problemResponse('no valid credentials'),
  '403': problemResponse('the role or the tenant status does not allow it'),
  '503': problemResponse('a dependency is unavailable; see Retry-After'),
};

const correlationHeader = {
  name: 'X-Correlation-Id',
  in: 'header',
  required: false,
  schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
  description: 'echoed in the response; generated when absent',
};

/** The OpenAPI 3.1 document of the HTTP API, built from the schemas that validate requests. */
export function openApiDocument(): JsonSchema {
  const commandBody = { oneOf: commandBodies() };
  const tenantPath = {
    name: 'tenantId',
    in: 'path',
    required: true,
    schema: { type: 'string', format: 'uuid' },
  };
  const aggregatePath = [
    {
      name: 'aggregateType',
      in: 'path',
      required: true,
      schema: { type: 'string', enum: boundedContexts.map((d) => d.aggregateType) },
    },
    { name: 'aggregateId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
  ];
  const commandOperation = (summary: string, security: JsonSchema[]) => ({
    summary,
    security,
    parameters: [
      correlationHeader,
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        schema: { type: 'string', minLength: 1, maxLength: 255 },
      },
    ],
    requestBody: { required: true, content: { 'application/json': { schema: commandBody } } },
    responses: {
      '200': json('appended to an existing aggregate', schema(commandResponse)),
      '201': json('created the aggregate', schema(commandResponse)),
      ...commonErrors,
      '404': problemResponse('unknown aggregate (a foreign one answers the same)'),
      '409': problemResponse('expectedVersion mismatch; `currentVersion` says the version now'),
      '413': problemResponse('body too large'),
      '415': problemResponse('not application/json'),
      '422': problemResponse('a business rule refused it, or the Idempotency-Key was used with another body'),
      '429': problemResponse('over the tenant quota; see Retry-After'),
    },
  });
  const tenantAuth = [{ apiKey: [] }, { bearer: [] }];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Eventline gateway',
      version: '0.1.0',
      description: 'Commands, queries and history of Eventline (docs/contracts.md §3–§7).',
    },
    servers: [{ url: 'http://127.0.0.1:3000' }],
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'a tenant JWT (claims tenant_id, sub, roles) or the platform admin token',
        },
      },
      schemas: { Problem: schema(problem) },
    },
    paths: {
      '/api/v1/tenants': {
        post: {
          summary: 'Create a tenant (platform admin)',
          security: [{ bearer: [] }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schema(createTenantPayload, 'input') } },
          },
          responses: {
            '201': json('the tenant and its first API key', schema(createdTenant)),
            ...commonErrors,
          },
        },
      },
      '/api/v1/tenants/{tenantId}': {
        get: {
          summary: 'A tenant (platform admin, or its own admin)',
          security: [{ bearer: [] }, { apiKey: [] }],
          parameters: [tenantPath],
          responses: {
            '200': json('the tenant', schema(tenantView)),
            ...commonErrors,
            '404': problemResponse('no such tenant'),
          },
        },
      },
      '/api/v1/tenants/{tenantId}/api-keys': {
        post: {
          summary: 'Issue an API key',
          security: [{ bearer: [] }, { apiKey: [] }],
          parameters: [tenantPath],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schema(newApiKeyRequest, 'input') } },
          },
          responses: {
            '201': json('the key, shown once', schema(issuedKey)),
            ...commonErrors,
            '404': problemResponse('no such tenant'),
          },
        },
      },
      '/api/v1/tenants/{tenantId}/api-keys/{keyId}': {
        delete: {
          summary: 'Revoke an API key',
          security: [{ bearer: [] }, { apiKey: [] }],
          parameters: [tenantPath, { name: 'keyId', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '204': { description: 'revoked' },
            ...commonErrors,
            '404': problemResponse('no such key'),
          },
        },
      },
      '/api/v1/tenants/{tenantId}/commands/execute': {
        post: {
          ...commandOperation('Execute a command for a tenant (platform admin)', [{ bearer: [] }]),
          parameters: [tenantPath, correlationHeader],
        },
      },
      '/api/v1/commands/execute': { post: commandOperation('Execute a command', tenantAuth) },
      '/api/v1/queries/execute': {
        post: {
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
            content: { 'application/json': { schema: { oneOf: queryBodies() } } },
          },
          responses: {
            '200': {
              ...json('the answer and the read model position it reflects', {
                type: 'object',
                properties: { data: {}, position: { type: 'integer' } },
                required: ['data', 'position'],
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
            ...commonErrors,
            '404': problemResponse('no such order (a foreign one answers the same)'),
            '504': problemResponse('the read model did not reach X-Min-Position in time'),
          },
        },
      },
      '/api/v1/aggregates/{aggregateType}/{aggregateId}': {
        get: {
          summary: 'An aggregate’s state, now or as of a version or an instant',
          security: tenantAuth,
          parameters: [
            ...aggregatePath,
            { name: 'version', in: 'query', required: false, schema: { type: 'integer', minimum: 1 } },
            { name: 'at', in: 'query', required: false, schema: { type: 'string', format: 'date-time' } },
          ],
          responses: {
            '200': json('the state', schema(aggregateState)),
            ...commonErrors,
            '404': problemResponse('no such aggregate'),
          },
        },
      },
      '/api/v1/aggregates/{aggregateType}/{aggregateId}/events': {
        get: {
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
            '200': json('the events', schema(eventList)),
            ...commonErrors,
            '404': problemResponse('no such aggregate'),
          },
        },
      },
      '/api/v1/events': {
        get: {
          summary: 'Every event of a correlation, in order',
          security: tenantAuth,
          parameters: [{ name: 'correlationId', in: 'query', required: true, schema: { type: 'string' } }],
          responses: { '200': json('the events', schema(eventList)), ...commonErrors },
        },
      },
      '/health': {
        get: { summary: 'Liveness (no I/O)', security: [], responses: { '200': { description: 'alive' } } },
      },
      '/ready': {
        get: {
          summary: 'Readiness',
          security: [],
          responses: {
            '200': json('ok or degraded', schema(readiness)),
            '503': json('down', schema(readiness)),
          },
        },
      },
      '/openapi.json': {
        get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
    },
  };
}
