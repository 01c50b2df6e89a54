import { personalDataBreaks } from '../avro/index.ts';

/**
 * What no event schema of ours may do, whatever compatibility the registry
 * applies: each rule keeps every event readable by every common client.
 * Returns one line per broken rule, naming what to change.
 */
export function schemaRuleBreaks(definition: string): string[] {
  const schema = JSON.parse(definition) as { type?: unknown; fields?: unknown };
  const breaks: string[] = [];
  if (schema.type === 'record' && Array.isArray(schema.fields) && schema.fields.length === 0) {
    breaks.push(
      'a record with no fields encodes to zero bytes, so its Kafka value would be the 5-byte Confluent header ' +
        "alone, which Confluent's Python client and others refuse: give it at least one field",
    );
  }
  return [...breaks, ...personalDataBreaks(definition)];
}
