import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPool, type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { KEY_EXCEPTIONS } from './distribution-exceptions.ts';

// The schema stays distributable by tenant_id (docs/scaling.md): every key of a
// tenant table carries tenant_id, and so does every foreign key between two.

let database: TestDatabase;
let owner: DatabasePool;
const scaling = readFileSync(join(projectRoot(), 'docs', 'scaling.md'), 'utf8');

beforeAll(async () => {
  database = await createTestDatabase('distributable');
  owner = await createPool(database.adminUrl, { maximumPoolSize: 1 });
});

afterAll(async () => {
  await owner.end();
  await database.drop();
});

const USER_TABLES = sql.fragment`
  c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND c.relname <> 'pgmigrations'`;

const table = z.object({ name: z.string(), tenant: z.boolean() });

async function tables(): Promise<z.infer<typeof table>[]> {
  return [
    ...(await owner.any(sql.type(table)`
      SELECT n.nspname || '.' || c.relname AS name,
             EXISTS (SELECT FROM pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS tenant
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE ${USER_TABLES}
       ORDER BY 1`)),
  ];
}

const uniqueKey = z.object({ table: z.string(), index: z.string(), columns: z.array(z.string()) });

/** Every primary key and unique index (constraint or not, partial or not) of the tenant tables. */
async function tenantKeys(): Promise<z.infer<typeof uniqueKey>[]> {
  return [
    ...(await owner.any(sql.type(uniqueKey)`
      SELECT n.nspname || '.' || c.relname AS table, n.nspname || '.' || ic.relname AS index,
             array(SELECT coalesce(a.attname, '(expression)')
                     FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, at)
                     LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                    ORDER BY k.at) AS columns
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE i.indisunique AND ${USER_TABLES}
         AND EXISTS (SELECT FROM pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
       ORDER BY 2`)),
  ];
}

test('every primary and unique key of a tenant table includes tenant_id, or is a listed exception', async () => {
  const keys = await tenantKeys();
  expect(keys.length).toBeGreaterThan(10);
  const excepted = new Set(KEY_EXCEPTIONS.map((exception) => exception.index));
  const breaking = keys.filter((key) => !key.columns.includes('tenant_id') && !excepted.has(key.index));
  expect(breaking).toEqual([]);
});

test('every exception still names a key without tenant_id, and docs/scaling.md explains it', async () => {
  const keys = new Map((await tenantKeys()).map((key) => [key.index, key]));
  for (const exception of KEY_EXCEPTIONS) {
    expect({
      index: exception.index,
      stillWithoutTenant: keys.get(exception.index)?.columns.includes('tenant_id'),
    }).toEqual({ index: exception.index, stillWithoutTenant: false });
    expect({ index: exception.index, documented: scaling.includes(`\`${exception.index}\``) }).toEqual({
      index: exception.index,
      documented: true,
    });
  }
});

test('every foreign key between two tenant tables includes tenant_id', async () => {
  const foreignKey = z.object({
    name: z.string(),
    columns: z.array(z.string()),
    referenced: z.array(z.string()),
  });
  const keys = await owner.any(sql.type(foreignKey)`
    SELECT con.conname AS name,
           array(SELECT a.attname FROM unnest(con.conkey) k JOIN pg_attribute a
                   ON a.attrelid = con.conrelid AND a.attnum = k) AS columns,
           array(SELECT a.attname FROM unnest(con.confkey) k JOIN pg_attribute a
                   ON a.attrelid = con.confrelid AND a.attnum = k) AS referenced
      FROM pg_constraint con
     WHERE con.contype = 'f'
       AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = con.conrelid AND a.attname = 'tenant_id')
       AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = con.confrelid AND a.attname = 'tenant_id')`);
  const breaking = keys.filter(
    (key) => !key.columns.includes('tenant_id') || !key.referenced.includes('tenant_id'),
  );
  expect(breaking).toEqual([]);
});

test('docs/scaling.md gives every table a distribution plan', async () => {
  const unplanned = (await tables())
    .filter(({ name }) => !scaling.includes(`\`${name}\``))
    .map(({ name }) => name);
  expect(unplanned).toEqual([]);
});
