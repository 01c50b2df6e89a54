import { Validator } from '@seriousme/openapi-schema-validator';
import { boundedContexts } from '../../domain/contexts.ts';
import { queryTypes } from '../../readmodels/index.ts';
import { routedCommands } from '../commands/routed-commands.ts';
import { openApiDocument } from './openapi-document.ts';

interface Operation {
  readonly operationId?: string;
  readonly tags?: readonly string[];
  readonly requestBody?: {
    content: Record<string, { schema: unknown; example?: unknown; examples?: object }>;
  };
  readonly responses: Record<
    string,
    { headers?: Record<string, unknown>; content?: Record<string, { schema: unknown; example?: unknown }> }
  >;
}

const document = openApiDocument() as unknown as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { examples?: unknown[]; oneOf?: { $ref: string }[] }> };
};
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    name: `${method.toUpperCase()} ${path}`,
    operation,
  })),
);

test('the generated document is valid OpenAPI 3.1', async () => {
  const result = await new Validator().validate(openApiDocument());
  expect(result.errors ?? []).toEqual([]);
  expect(result.valid).toBe(true);
});

test('every operation has a unique operationId and a tag, as client generators need', () => {
  const ids = operations.map(({ operation }) => operation.operationId);
  expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
  for (const { name, operation } of operations)
    expect({ name, tags: operation.tags?.length }).toEqual({ name, tags: 1 });
});

test('every operation shows an example of what it answers, and of what it takes', () => {
  for (const { name, operation } of operations) {
    const [status, response] =
      Object.entries(operation.responses).find(([code]) => code.startsWith('2')) ?? [];
    if (status === '204' || name.includes('/asyncapi.yaml') || name.includes('.json')) continue;
    // application/json, or the one media type a streamed answer has (application/x-ndjson).
    const media = response?.content?.['application/json'] ?? Object.values(response?.content ?? {})[0];
    expect({ name, example: media?.example !== undefined }).toEqual({
      name,
      example: true,
    });
    const body = operation.requestBody?.content['application/json'];
    if (body)
      expect({ name, example: body.example !== undefined || body.examples !== undefined }).toEqual({
        name,
        example: true,
      });
  }
});

test('every command and query type is a named schema with an example, and the bodies are their unions', () => {
  const commandTypes = boundedContexts
    .flatMap((d) => Object.keys(d.commands))
    .filter((type) => !(type in routedCommands));
  const { schemas } = document.components;
  for (const type of commandTypes)
    expect({ type, examples: schemas[`${type}Command`]?.examples?.length }).toEqual({ type, examples: 1 });
  for (const type of queryTypes)
    expect({ type, examples: schemas[`${type}Query`]?.examples?.length }).toEqual({ type, examples: 1 });
  expect(schemas.Command?.oneOf?.map((ref) => ref.$ref).sort()).toEqual(
    commandTypes.map((type) => `#/components/schemas/${type}Command`).sort(),
  );
  const commandBody =
    document.paths['/api/v1/commands/execute']?.post?.requestBody?.content['application/json'];
  expect(commandBody?.schema).toEqual({ $ref: '#/components/schemas/Command' });
  expect(Object.keys(commandBody?.examples ?? {}).sort()).toEqual([...commandTypes].sort());
});

test('429 and 503 say Retry-After; every operation with a body says 413 and 415', () => {
  for (const { name, operation } of operations) {
    // /ready's 503 is a probe's verdict, not a request to retry.
    for (const status of name === 'GET /ready' ? ['429'] : ['429', '503']) {
      const response = operation.responses[status];
      if (response)
        expect({ name, status, header: response.headers?.['Retry-After'] !== undefined }).toEqual({
          name,
          status,
          header: true,
        });
    }
    if (operation.requestBody) {
      expect({ name, statuses: ['413', '415'].filter((status) => status in operation.responses) }).toEqual({
        name,
        statuses: ['413', '415'],
      });
    }
  }
});

test('responses and request bodies refer to named schemas, not inline objects', () => {
  for (const { name, operation } of operations) {
    for (const [status, response] of Object.entries(operation.responses)) {
      const schema = response.content?.['application/json']?.schema as
        { $ref?: string; type?: string } | undefined;
      if (!schema || name.includes('/health') || name.includes('.json')) continue;
      expect({ name, status, ref: typeof schema.$ref }).toEqual({ name, status, ref: 'string' });
    }
    const body = operation.requestBody?.content['application/json']?.schema as { $ref?: string } | undefined;
    if (body) expect({ name, ref: typeof body.$ref }).toEqual({ name, ref: 'string' });
  }
});
