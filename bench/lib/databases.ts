import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../services/eventstore/index.ts';
import { sleep, stackSetting } from './stack.ts';

/** Where PostgreSQL is: the environment, else what `make up` wrote to .run/stack.env. */
export interface Endpoints {
  /** The services' role (eventline_app): no BYPASSRLS, owns nothing. */
  readonly databaseUrl: string;
  /** The schema owner, who may CREATE DATABASE. */
  readonly adminDatabaseUrl: string;
}

export function endpoints(): Endpoints {
  return { databaseUrl: stackSetting('DATABASE_URL'), adminDatabaseUrl: stackSetting('ADMIN_DATABASE_URL') };
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

/** SQLSTATE 42501: FORCE may not end another role's session, one a stopped service has not closed yet. */
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * Drops a scenario's database once the services' sessions are gone; one still
 * there after a while leaves the database behind with a warning, since a
 * leftover is no reason to lose the run's figures.
 */
async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await asAdmin(adminUrl, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw error;
      if (Date.now() > deadline) {
        process.stderr.write(`warning: database ${name} left behind: ${(error as Error).message}\n`);
        return;
      }
      await sleep(250);
    }
  }
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
    drop: () => dropDatabase(at.adminDatabaseUrl, name),
  };
  try {
    if (options.migrated) await migrate(database.adminUrl);
  } catch (error) {
    await database.drop();
    throw error;
  }
  return database;
}
