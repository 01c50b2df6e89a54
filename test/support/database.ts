import pg from 'pg';
import { migrate } from '../../services/eventstore/index.ts';
import { endpoints } from './endpoints.ts';
import { uniqueName } from './names.ts';
import { waitFor } from './wait.ts';

export interface TestDatabase {
  readonly name: string;
  /** As the schema owner: migrations, fixtures, inspecting what services cannot see. */
  readonly adminUrl: string;
  /** As the services connect: eventline_app, bound by row-level security. */
  readonly appUrl: string;
  /** As the outbox relay connects: every tenant's outbox and events, nothing more. */
  readonly relayUrl: string;
  /** As the projector connects: every tenant's read models and events. */
  readonly projectorUrl: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function asAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: endpoints().adminDatabaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** SQLSTATE 42501: FORCE may not end another role's session, one a stopped service or CLI has not closed yet. */
const INSUFFICIENT_PRIVILEGE = '42501';

/** Drops a test's database once the sessions of the services it ran are gone. */
export async function dropTestDatabase(name: string): Promise<void> {
  await waitFor(`database ${name} dropped`, async () => {
    try {
      await asAdmin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === INSUFFICIENT_PRIVILEGE) return undefined;
      throw error;
    }
  });
}

/** A database of the test file's own, migrated to the current schema. */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  await asAdmin(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  const adminUrl = withDatabase(endpoints().adminDatabaseUrl, name);
  await migrate(adminUrl);
  return {
    name,
    adminUrl,
    appUrl: withDatabase(endpoints().databaseUrl, name),
    relayUrl: withDatabase(endpoints().relayDatabaseUrl, name),
    projectorUrl: withDatabase(endpoints().projectorDatabaseUrl, name),
    drop: () => dropTestDatabase(name),
  };
}
