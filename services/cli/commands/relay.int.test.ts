import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import type { DatabasePool } from 'slonik';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { openDatabase, sql } from '../../platform/database/index.ts';
import { runCli } from '../run-cli.ts';

// `eventline relay status|resume` (docs/relay.md): what an operator reads of the relay and how a
// halted tenant goes again, as the schema owner. The relay's own halting is test/relay's; here a
// halted row stands for it.

let db: TestDatabase;
let owner: DatabasePool;
let output: string[];
let errors: string[];
const saved = process.env.ADMIN_DATABASE_URL;

beforeAll(async () => {
  db = await createTestDatabase('cli_relay');
  owner = await openDatabase(db.adminUrl, { maximumPoolSize: 1 });
  process.env.ADMIN_DATABASE_URL = db.adminUrl;
});

afterAll(async () => {
  process.env.ADMIN_DATABASE_URL = saved;
  await owner.end();
  await db.drop();
});

beforeEach(() => {
  output = [];
  errors = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void output.push(line));
  jest.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
});

afterEach(() => jest.restoreAllMocks());

test('relay status lists a halted tenant with its reason; relay resume lets it go, once', async () => {
  const tenant = randomUUID();
  await owner.query(sql.typeAlias('void')`
    INSERT INTO relay_halted_tenants (tenant_id, event_id, event_type, reason)
    VALUES (${tenant}, ${randomUUID()}, 'OrderItemAdded', 'the registry refused')`);

  expect(await runCli(['relay', 'status', '--json'])).toBe(0);
  const status = JSON.parse(output.join('\n')) as {
    backlog: { rows: number };
    unheldLanes: number;
    halted: { tenantId: string; reason: string }[];
  };
  expect(status.backlog.rows).toBe(0);
  expect(status.unheldLanes).toBe(64);
  expect(status.halted).toEqual([
    expect.objectContaining({ tenantId: tenant, reason: 'the registry refused' }),
  ]);

  expect(await runCli(['relay', 'resume', tenant])).toBe(0);
  expect(output.at(-1)).toBe(`resumed ${tenant}`);
  expect(await runCli(['relay', 'resume', tenant])).toBe(1);
  expect(errors).toEqual([`eventline relay resume: tenant ${tenant} is not halted`]);

  output = [];
  expect(await runCli(['relay', 'status'])).toBe(0);
  expect(output).toContain('no tenant halted');
});

test('relay resume without a tenant id is a usage error', async () => {
  expect(await runCli(['relay', 'resume', 'not-a-tenant'])).toBe(2);
  expect(errors).toHaveLength(1);
});
