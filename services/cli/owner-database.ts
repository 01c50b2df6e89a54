import type { DatabasePool } from 'slonik';
import { env, loadConfig } from '../platform/config/index.ts';
import { openDatabase } from '../platform/database/index.ts';

// A replay or a rebuild page may take long on a big event store. Not 0: slonik turns it into 1 ms.
export const OWNER_STATEMENT_TIMEOUT_MS = 6 * 3_600_000;

/**
 * Runs fn on a small pool as the schema owner (ADMIN_DATABASE_URL, which has no
 * default: a CLI that would otherwise connect as whoever runs it says so
 * instead), closed afterwards.
 */
export async function asOwner<T>(fn: (pool: DatabasePool) => Promise<T>): Promise<T> {
  const { ADMIN_DATABASE_URL } = loadConfig({ ADMIN_DATABASE_URL: env.ADMIN_DATABASE_URL });
  const pool = await openDatabase(ADMIN_DATABASE_URL, {
    maximumPoolSize: 2,
    statementTimeoutMs: OWNER_STATEMENT_TIMEOUT_MS,
  });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}
