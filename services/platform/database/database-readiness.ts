import type { DatabasePool } from 'slonik';
import type { ReadinessCheck } from '../health/index.ts';
import { sql } from './sql.ts';

/** PostgreSQL answers a statement; essential unless the service still answers without it (cached queries). */
export function databaseReadiness(
  pool: DatabasePool,
  options: { readonly name?: string; readonly essential?: boolean } = {},
): ReadinessCheck {
  return {
    name: options.name ?? 'postgres',
    essential: options.essential ?? true,
    check: async () => void (await pool.query(sql.typeAlias('void')`SELECT 1`)),
  };
}
