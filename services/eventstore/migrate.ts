import { join } from 'node:path';
import { projectRoot } from '../platform/paths/index.ts';

// Resolved from the project root: the .sql files are not compiled into dist/.
export const MIGRATIONS_DIR = join(projectRoot(), 'services', 'eventstore', 'migrations');
// The outbox and its lanes: numbered in the event store's sequence (0005, 0008, …), which
// their files kept when they moved here from migrations/ (pgmigrations records names only).
const OUTBOX_MIGRATIONS_DIR = join(projectRoot(), 'services', 'outbox', 'migrations');
// The read models' tables (numbered 1001 onward, so they run after the event store's).
const READ_MODEL_MIGRATIONS_DIR = join(projectRoot(), 'services', 'readmodels', 'migrations');
// The data subjects' keys (numbered 2001 onward).
const PRIVACY_MIGRATIONS_DIR = join(projectRoot(), 'services', 'privacy', 'migrations');

export interface MigrationLog {
  info(message: string): void;
}

/**
 * Applies the numbered .sql files of the migration folders that the database
 * lacks, each in its own transaction, under node-pg-migrate's advisory lock (a
 * second runner waits). Safe to re-run: applied ones are recorded in pgmigrations.
 * Runs as the schema owner (ADMIN_DATABASE_URL), never as a service role.
 */
export async function migrate(
  databaseUrl: string,
  log: MigrationLog = { info: () => {} },
): Promise<string[]> {
  // Loaded here, not with the module: every service imports the event store, none migrates, and
  // node-pg-migrate with what it loads (jiti, glob) held 2-3 MiB of each service's memory.
  const { runner } = await import('node-pg-migrate');
  const applied = await runner({
    databaseUrl,
    // Several folders need glob patterns; the files are still applied in name order across them.
    dir: [MIGRATIONS_DIR, OUTBOX_MIGRATIONS_DIR, READ_MODEL_MIGRATIONS_DIR, PRIVACY_MIGRATIONS_DIR].map(
      (dir) => join(dir, '*.sql'),
    ),
    useGlob: true,
    migrationsTable: 'pgmigrations',
    direction: 'up',
    // Numbered sequences (event store and outbox 0001…, read models 1001…, privacy 2001…) grow
    // side by side: a new event-store migration must still apply where later-numbered ones ran.
    checkOrder: false,
    advisoryLockMode: 'wait',
    log: () => {},
  });
  for (const migration of applied) log.info(`applied migration ${migration.name}`);
  return applied.map((migration) => migration.name);
}
