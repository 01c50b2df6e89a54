import { jest } from '@jest/globals';
import pg from 'pg';
import { dropTestDatabase } from '../../test/support/database.ts';
import { endpoints } from '../../test/support/endpoints.ts';
import { uniqueName } from '../../test/support/names.ts';
import { runCli } from './run-cli.ts';

const database = uniqueName('cli');
const adminUrl = endpoints().adminDatabaseUrl;
const url = new URL(adminUrl);
url.pathname = `/${database}`;

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(statement).finally(() => client.end());
}

let output: string[];
let errors: string[];

beforeAll(() => admin(`CREATE DATABASE ${pg.escapeIdentifier(database)}`));
afterAll(() => dropTestDatabase(database));

beforeEach(() => {
  output = [];
  errors = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void output.push(line));
  jest.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
});

afterEach(() => {
  jest.restoreAllMocks();
  process.env.ADMIN_DATABASE_URL = adminUrl;
});

test('eventline migrate applies every migration once; run again it changes nothing', async () => {
  process.env.ADMIN_DATABASE_URL = url.toString();
  expect(await runCli(['migrate'])).toBe(0);
  expect(output.at(-1)).toMatch(/^migrations: applied \d+$/);
  expect(await runCli(['migrate'])).toBe(0);
  expect(output.at(-1)).toBe('migrations: up to date');
});

test('a malformed variable is one line on stderr naming it, and a non-zero exit', async () => {
  process.env.ADMIN_DATABASE_URL = 'mysql://nowhere/db';
  expect(await runCli(['migrate'])).toBe(1);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/^eventline migrate: invalid configuration: ADMIN_DATABASE_URL: /);
});

test('an unknown subcommand is refused with the usage', async () => {
  expect(await runCli(['frobnicate'])).toBe(2);
  expect(errors).toEqual([
    'eventline: unknown command "frobnicate"; usage: eventline <migrate|topology apply|schemas register|schemas check|projections list|projections status|projections verify <name>|projections rebuild <name>|dlq list|dlq replay <topic>|asyncapi [--format yaml|json]>',
  ]);
});
