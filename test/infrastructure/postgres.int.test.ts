import { createPool, type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';

let admin: DatabasePool;
let app: DatabasePool;
const schema = uniqueName('infra');

beforeAll(async () => {
  admin = await createPool(endpoints().adminDatabaseUrl, { maximumPoolSize: 2 });
  app = await createPool(endpoints().databaseUrl, { maximumPoolSize: 2 });
  await admin.query(sql.unsafe`CREATE SCHEMA ${sql.identifier([schema])}`);
});

afterAll(async () => {
  await admin.query(sql.unsafe`DROP SCHEMA ${sql.identifier([schema])} CASCADE`);
  await Promise.all([admin.end(), app.end()]);
});

test('slonik round-trips typed rows through PostgreSQL in a transaction', async () => {
  const table = sql.identifier([schema, 'notes']);
  await admin.query(sql.unsafe`CREATE TABLE ${table} (id int PRIMARY KEY, body text NOT NULL)`);
  await admin.transaction(async (tx) => {
    await tx.query(sql.unsafe`INSERT INTO ${table} (id, body) VALUES (1, 'first'), (2, 'second')`);
  });
  const rows = await admin.many(
    sql.type(z.object({ id: z.number(), body: z.string() }))`SELECT id, body FROM ${table} ORDER BY id`,
  );
  expect(rows).toEqual([
    { id: 1, body: 'first' },
    { id: 2, body: 'second' },
  ]);
});

test('the services connect as a role that is neither superuser nor exempt from row-level security', async () => {
  const role = await app.one(
    sql.type(z.object({ rolsuper: z.boolean(), rolbypassrls: z.boolean() }))`
      SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`,
  );
  expect(role).toEqual({ rolsuper: false, rolbypassrls: false });
});
