import type { DatabaseTransactionConnection } from 'slonik';
import { sql } from '../../platform/database/index.ts';

/**
 * The hand-over of a rebuilt projection: every live round holds its
 * projections' locks shared for its transaction (readmodels.open_projection_round,
 * migration 1007, before it touches their tables or checkpoints, in the names'
 * order), the swap holds its projection's exclusively. So no event is applied to
 * the old tables after the shadow's last read, and the checkpoints and watermarks
 * the swap sees stay put until the new tables are in.
 *
 * Taken by the swap (and a first-start build): waits for live batches in flight, holds off new ones.
 */
export async function seizeProjectionTables(
  tx: DatabaseTransactionConnection,
  projection: string,
): Promise<void> {
  await tx.query(sql.typeAlias('void')`
    SELECT pg_advisory_xact_lock(readmodels.projection_tables_lock_key(${projection}))`);
}
