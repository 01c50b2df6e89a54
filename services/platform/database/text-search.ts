import type { FragmentSqlToken } from 'slonik';
import { sql } from './sql.ts';

/** A LIKE pattern matching any text that contains `text`, its wildcards (% and _) and backslashes taken as themselves. */
function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (special) => `\\${special}`)}%`;
}

/**
 * Whether the text expression contains any of the texts, character for
 * character: a search of JSON as text (`data::text`) for values such as
 * sealed personal data, which no index serves; callers bound what it scans.
 */
export function containsAnyOf(expression: FragmentSqlToken, texts: readonly string[]): FragmentSqlToken {
  return sql.fragment`${expression} LIKE ANY(${sql.array(texts.map(containing), 'text')})`;
}
