/**
 * arrayParameter's text, read by PostgreSQL itself: every value comes back as
 * it went, whatever characters it holds, in its place, nulls included.
 */
import { randomUUID } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { arrayParameter } from './array-literal.ts';
import { openDatabase } from './pool.ts';
import { sql } from './sql.ts';

let db: TestDatabase;
let pool: DatabasePool;

beforeAll(async () => {
  db = await createTestDatabase('arrayliteral');
  pool = await openDatabase(db.appUrl, { maximumPoolSize: 1 });
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

const element = z.object({ value: z.string().nullable() });

async function roundTrip(
  values: readonly (string | number | boolean | null)[],
  type: Parameters<typeof arrayParameter>[1],
): Promise<(string | null)[]> {
  const rows = await pool.any(
    sql.type(
      element,
    )`SELECT value::text AS value FROM unnest(${arrayParameter(values, type)}) WITH ORDINALITY AS e (value, n) ORDER BY n`,
  );
  return rows.map((row) => row.value);
}

test('text holding what an array literal means comes back unchanged, in its place', async () => {
  const awkward = [
    '',
    'NULL',
    'null',
    'a,b',
    '{braces}',
    ' spaced ',
    'a "quote"',
    'a \\ backslash\\',
    '\\"',
    'line\nbreak\ttab',
    'é 😀',
    null,
    'last',
  ];
  expect(await roundTrip(awkward, 'text')).toEqual(awkward);
});

test('numbers, booleans, uuids, decimals, instants and JSON keep their values', async () => {
  const id = randomUUID();
  expect(await roundTrip([id, null], 'uuid')).toEqual([id, null]);
  expect(await roundTrip([Number.MAX_SAFE_INTEGER, -1, 0, null], 'int8')).toEqual([
    '9007199254740991',
    '-1',
    '0',
    null,
  ]);
  expect(await roundTrip([2_147_483_647, null], 'int4')).toEqual(['2147483647', null]);
  expect(await roundTrip([true, false, null], 'bool')).toEqual(['true', 'false', null]);
  expect(await roundTrip(['0.1', '123456789012345678901234567890.000000001', null], 'numeric')).toEqual([
    '0.1',
    '123456789012345678901234567890.000000001',
    null,
  ]);
  const [instant] = await roundTrip(['2026-12-04 05:06:07.123+00'], 'timestamptz');
  expect(new Date(instant ?? '').toISOString()).toBe('2026-12-04T05:06:07.123Z');
  const json = JSON.stringify({ text: 'a "quote", a \\ backslash, {x}', list: [1, null], none: null });
  const [stored] = await roundTrip([json, null], 'jsonb');
  expect(JSON.parse(stored ?? 'null')).toEqual(JSON.parse(json));
});

test('an empty array is an empty array', async () => {
  expect(await roundTrip([], 'text')).toEqual([]);
});
