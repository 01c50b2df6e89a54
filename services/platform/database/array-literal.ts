import { sql } from './sql.ts';

/** The element types a multi-row statement's column arrays are cast to. */
export type ArrayElementType =
  'uuid' | 'text' | 'int4' | 'int8' | 'bool' | 'numeric' | 'jsonb' | 'timestamptz';

const CASTS: Readonly<Record<ArrayElementType, ReturnType<typeof sql.fragment>>> = {
  uuid: sql.fragment`uuid[]`,
  text: sql.fragment`text[]`,
  int4: sql.fragment`int4[]`,
  int8: sql.fragment`int8[]`,
  bool: sql.fragment`bool[]`,
  numeric: sql.fragment`numeric[]`,
  jsonb: sql.fragment`jsonb[]`,
  timestamptz: sql.fragment`timestamptz[]`,
};

const ESCAPED = /["\\]/;

function element(value: string | number | boolean | null): string {
  if (value === null) return 'NULL';
  if (typeof value !== 'string') return String(value);
  // Quoted whatever it holds, so no text is read as NULL, a separator or a brace.
  return ESCAPED.test(value) ? `"${value.replace(/["\\]/g, '\\$&')}"` : `"${value}"`;
}

/**
 * `values` as one array parameter of PostgreSQL's array-literal text, cast to
 * `type[]`: what `sql.array` sends, encoded here rather than by pg, whose
 * encoder concatenates element by element and runs two regular-expression
 * replaces on each, one fifth of everything a catch-up allocated and 8 % of
 * its CPU (docs/performance.md, "Two members per group"). Numbers and booleans
 * go bare, every string quoted; only a string holding a quote or backslash is
 * escaped.
 */
export function arrayParameter(
  values: readonly (string | number | boolean | null)[],
  type: ArrayElementType,
): ReturnType<typeof sql.fragment> {
  const elements = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) elements[i] = element(values[i] ?? null);
  return sql.fragment`${`{${elements.join(',')}}`}::${CASTS[type]}`;
}
