import { Validator } from '@seriousme/openapi-schema-validator';
import { boundedContexts } from '../../domain/contexts.ts';
import { openApiDocument } from './openapi-document.ts';

test('the generated document is valid OpenAPI 3.1', async () => {
  const result = await new Validator().validate(openApiDocument());
  expect(result.errors ?? []).toEqual([]);
  expect(result.valid).toBe(true);
});

test('every command a tenant can send has a request variant carrying its payload schema', () => {
  const document = openApiDocument() as {
    paths: Record<
      string,
      {
        post?: {
          requestBody: {
            content: Record<
              string,
              { schema: { oneOf: Array<{ properties: { type: { const?: string; enum?: string[] } } }> } }
            >;
          };
        };
      }
    >;
  };
  const variants =
    document.paths['/api/v1/commands/execute']!.post!.requestBody.content['application/json']!.schema.oneOf;
  const types = variants.map((variant) => variant.properties.type.const ?? variant.properties.type.enum?.[0]);
  const expected = boundedContexts
    .flatMap((d) => Object.keys(d.commands))
    .filter((type) => type !== 'CreateTenant');
  expect(types.sort()).toEqual(expected.sort());
});
