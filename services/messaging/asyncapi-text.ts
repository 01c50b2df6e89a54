import { stringify } from 'yaml';
import type { JsonObject } from './asyncapi-headers.ts';

export type AsyncApiFormat = 'yaml' | 'json';

/**
 * The document as text. YAML: block style, no anchors or aliases (some AsyncAPI
 * tools refuse them), long lines left whole and single quotes, as prettier writes YAML here.
 */
export function renderAsyncApi(document: JsonObject, format: AsyncApiFormat): string {
  if (format === 'json') return `${JSON.stringify(document, null, 2)}\n`;
  return stringify(document, {
    aliasDuplicateObjects: false,
    lineWidth: 0,
    singleQuote: true,
    schema: 'yaml-1.1',
  });
}
