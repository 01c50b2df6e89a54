import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { migrate } from '../../services/eventstore/index.ts';

/** Where PostgreSQL is: the environment, else what `make up` wrote to .run/stack.env. */
export interface Endpoints {
  /** The services' role (eventline_app): no BYPASSRLS, owns nothing. */
  readonly databaseUrl: string;
  /** The schema owner, who may CREATE DATABASE. */
  readonly adminDatabaseUrl: string;
}

function stackEnv(): Record<string, string> {
  const file = join(projectRoot(), '.run', 'stack.env');
  if (!existsSync(file)) return {};
  const entries = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
    .map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at), line.slice(at + 1)] as const;
    });
  return Object.fromEntries(entries);
}

export function endpoints(): Endpoints {
  const file = stackEnv();
  const pick = (name: string): string => {
    const value = process.env[name] || file[name];
    if (!value) throw new Error(`${name} is not set and .run/stack.env does not name it: run \`make up\``);
    return value;
  };
  return { databaseUrl: pick('DATABASE_URL'), adminDatabaseUrl: pick('ADMIN_DATABASE_URL') };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function asAdmin<T extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  readonly name: string;
  /** As the schema owner. */
  readonly adminUrl: string;
  /** As the services connect (eventline_app). */
  readonly appUrl: string;
  drop(): Promise<void>;
}

/**
 * A new, empty database on the stack's server, dropped by drop(). With
 * `migrated`, our migrations are applied to it; without, it stays empty (for
 * Emmett, which creates its own schema on first use).
 */
export async function createDatabase(
  at: Endpoints,
  prefix: string,
  options: { readonly migrated: boolean },
): Promise<BenchDatabase> {
  const name = `bench_${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await asAdmin(at.adminDatabaseUrl, `CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  const database: BenchDatabase = {
    name,
    adminUrl: withDatabase(at.adminDatabaseUrl, name),
    appUrl: withDatabase(at.databaseUrl, name),
    drop: () =>
      asAdmin(at.adminDatabaseUrl, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`).then(
        () => undefined,
      ),
  };
  try {
    if (options.migrated) await migrate(database.adminUrl);
  } catch (error) {
    await database.drop();
    throw error;
  }
  return database;
}
