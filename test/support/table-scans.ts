import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { sql } from '../../services/platform/database/index.ts';

const tableScans = z.object({ relname: z.string(), seq_scan: z.number(), idx_scan: z.number() });
export type TableScans = z.infer<typeof tableScans>;

/**
 * How statements kept planned for a session (PL/pgSQL) read the given tables:
 * the call runs seven times in one transaction, since PL/pgSQL keeps a generic
 * plan from a statement's sixth run, so both kinds of plan are seen; then the
 * transaction's own counts (pg_stat_xact_user_tables), ordered by table name.
 */
export function scansOfRepeatedCalls(
  pool: DatabasePool,
  tables: readonly string[],
  call: (run: number, transaction: DatabaseTransactionConnection) => Promise<void>,
): Promise<readonly TableScans[]> {
  return pool.transaction(async (transaction) => {
    for (let run = 0; run < 7; run++) await call(run, transaction);
    return transaction.many(sql.type(tableScans)`
      SELECT relname, seq_scan, idx_scan FROM pg_stat_xact_user_tables
       WHERE relname = ANY(${sql.array(tables, 'text')}) ORDER BY relname
    `);
  });
}
