import { jest } from '@jest/globals';
import pg from 'pg';
import { dropTestDatabase } from '../../test/support/database.ts';
import { endpoints } from '../../test/support/endpoints.ts';
import { uniqueName } from '../../test/support/names.ts';
import { commands, runCli } from './run-cli.ts';

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

test('with ADMIN_DATABASE_URL unset it says so, rather than connecting as whoever runs it', async () => {
  delete process.env.ADMIN_DATABASE_URL;
  expect(await runCli(['projections', 'status'])).toBe(1);
  expect(errors).toEqual([
    'eventline projections status: invalid configuration: ADMIN_DATABASE_URL: is required',
  ]);
});

describe('command-line conventions (clig.dev)', () => {
  const fresh = uniqueName('cli_help');
  const freshUrl = new URL(adminUrl);
  freshUrl.pathname = `/${fresh}`;
  let printed: string[];

  beforeAll(() => admin(`CREATE DATABASE ${pg.escapeIdentifier(fresh)}`));
  afterAll(() => dropTestDatabase(fresh));

  beforeEach(() => {
    printed = [];
    jest
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0);
    process.env.ADMIN_DATABASE_URL = freshUrl.toString();
  });

  test('--help and -h on every command and group print its usage on stdout, exit 0, and change nothing', async () => {
    const groups = [
      ...new Set(commands.filter((spec) => spec.path.length > 1).map((spec) => spec.path[0] as string)),
    ];
    const lines = [[], ...groups.map((group) => [group]), ...commands.map((spec) => [...spec.path])];
    for (const words of lines) {
      for (const flag of ['--help', '-h']) {
        printed = [];
        // A required argument given or not, --help wins and nothing runs.
        expect({ words, flag, exit: await runCli([...words, flag]) }).toEqual({ words, flag, exit: 0 });
        expect(printed.join('')).toMatch(new RegExp(`^usage: eventline ${words.join(' ')}`));
      }
    }
    expect(await runCli(['projections', 'rebuild', 'orders', '--help'])).toBe(0);
    expect(errors).toEqual([]);
    // The database they would have touched holds nothing: no migration ran, no rebuild began.
    const client = new pg.Client({ connectionString: freshUrl.toString() });
    await client.connect();
    try {
      const tables = await client.query(
        "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
      );
      expect(tables.rows[0]).toEqual({ n: 0 });
    } finally {
      await client.end();
    }
  });

  test('--version prints the version alone', async () => {
    expect(await runCli(['--version'])).toBe(0);
    expect(printed.join('')).toMatch(/^\d+\.\d+\.\d+\n$/);
    printed = [];
    expect(await runCli(['-V'])).toBe(0);
    expect(printed.join('')).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  test.each([
    [[], 'eventline: no command given (see eventline --help)'],
    [['frobnicate'], 'eventline: unknown command "frobnicate" (see eventline --help)'],
    [['projections'], 'eventline: projections needs a command (see eventline projections --help)'],
    [
      ['projections', 'explode'],
      'eventline: unknown projections command "explode" (see eventline projections --help)',
    ],
    [['migrate', '--force'], "eventline: Unknown option '--force' (see eventline migrate --help)"],
    [['migrate', 'now'], 'eventline: unexpected argument "now" (see eventline migrate --help)'],
    [['projections', 'rebuild'], 'eventline: <name> is required (see eventline projections rebuild --help)'],
    [
      ['projections', 'rebuild', 'nope'],
      'eventline projections rebuild: no projection "nope"; there are orders, customer_order_stats, tenant_stats, tenants',
    ],
    [
      ['projections', 'rebuild', 'orders', '--page-size', 'many'],
      'eventline projections rebuild: --page-size must be a whole number ≥ 1, not "many"',
    ],
    [
      ['topology', 'apply', '--file'],
      "eventline: Option '--file <value>' argument missing (see eventline topology apply --help)",
    ],
    [
      ['dlq', 'list', '--projection', 'nope'],
      'eventline dlq list: no projection "nope"; there are orders, customer_order_stats, tenant_stats, tenants',
    ],
  ])('%p is a usage error: exit 2, one line on stderr, nothing run', async (argv, line) => {
    expect(await runCli(argv)).toBe(2);
    expect(errors).toEqual([line]);
    expect(printed).toEqual([]);
  });

  test('list and status commands print JSON with --json', async () => {
    process.env.ADMIN_DATABASE_URL = url.toString();
    output = [];
    expect(await runCli(['projections', 'list', '--json'])).toBe(0);
    expect(JSON.parse(output.join(''))).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'orders', sources: ['orders'] })]),
    );
    output = [];
    expect(await runCli(['projections', 'status', '--json'])).toBe(0);
    expect(JSON.parse(output.join(''))).toEqual({ checkpoints: [], rebuilds: [] });
    output = [];
    expect(await runCli(['dlq', 'list', '--json'])).toBe(0);
    expect(JSON.parse(output.join(''))).toEqual([]);
  });
});
