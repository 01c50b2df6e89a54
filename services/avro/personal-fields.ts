/**
 * Whose a personal-data field is: the value of another field of the same
 * record (an order's customerId), or a fixed subject within the tenant (the
 * tenant's contact person).
 */
export type SubjectOf = { readonly field: string } | { readonly value: string };

/** A field of an event record that holds personal data: stored and published only encrypted. */
export interface PersonalField {
  readonly name: string;
  readonly subject: SubjectOf;
}

/**
 * The tag Confluent's data contracts put on a field holding personal data
 * (`"confluent:tags": ["PII"]`), so schema-registry tooling that knows the
 * convention sees the same thing; whose data it is goes in `eventline:subject`.
 */
export const PII_TAG = 'PII';

interface FieldDefinition {
  readonly name?: unknown;
  readonly type?: unknown;
  readonly 'confluent:tags'?: unknown;
  readonly 'eventline:subject'?: unknown;
}

function isPersonal(field: FieldDefinition): boolean {
  const tags = field['confluent:tags'];
  return Array.isArray(tags) && tags.includes(PII_TAG);
}

/** A string that may be null: a ciphertext stands in it, and an erased value reads null. */
function holdsNullableText(type: unknown): boolean {
  return Array.isArray(type) && type.length === 2 && type[0] === 'null' && type[1] === 'string';
}

function subjectOf(field: FieldDefinition): SubjectOf | undefined {
  const subject = field['eventline:subject'];
  if (typeof subject !== 'object' || subject === null) return undefined;
  const { field: name, value } = subject as { field?: unknown; value?: unknown };
  if (typeof name === 'string' && name !== '' && value === undefined) return { field: name };
  if (typeof value === 'string' && value !== '' && name === undefined) return { value };
  return undefined;
}

function fieldsOf(definition: string): FieldDefinition[] {
  const schema = JSON.parse(definition) as { fields?: unknown };
  return Array.isArray(schema.fields) ? (schema.fields as FieldDefinition[]) : [];
}

/** The personal-data fields of a record schema (only its own fields: nested ones are refused by the rules). */
export function personalFields(definition: string): PersonalField[] {
  return fieldsOf(definition).flatMap((field) => {
    const subject = subjectOf(field);
    return isPersonal(field) && subject && typeof field.name === 'string'
      ? [{ name: field.name, subject }]
      : [];
  });
}

/**
 * What a schema gets wrong about personal data, one line each: a personal
 * field without a subject, or whose subject field is missing or not a plain
 * string, or that is not a string (a ciphertext takes its place), or personal
 * data nested below the record's own fields (not supported).
 */
export function personalDataBreaks(definition: string): string[] {
  const fields = fieldsOf(definition);
  const breaks: string[] = [];
  for (const field of fields) {
    const name = String(field.name);
    if (!isPersonal(field)) {
      if (JSON.stringify(field.type ?? null).includes(`"${PII_TAG}"`))
        breaks.push(`field ${name}: personal data is supported in the record's own fields only, not nested`);
      continue;
    }
    if (!holdsNullableText(field.type))
      breaks.push(
        `field ${name}: personal data must be ["null", "string"]: its ciphertext takes the string's place, and once its subject is forgotten it reads null`,
      );
    const subject = subjectOf(field);
    if (!subject) {
      breaks.push(
        `field ${name}: personal data without a subject: add "eventline:subject": {"field": "<the field naming whose it is>"} or {"value": "<subject>"}`,
      );
      continue;
    }
    if ('field' in subject) {
      const owner = fields.find((candidate) => candidate.name === subject.field);
      if (!owner || owner.type !== 'string' || isPersonal(owner))
        breaks.push(
          `field ${name}: its subject field ${subject.field} is not a plain (non-personal) string field of the record`,
        );
    }
  }
  return breaks;
}
