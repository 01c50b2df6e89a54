import type { DatabaseTransactionConnection } from 'slonik';
import { sql } from '../../platform/database/index.ts';

/**
 * The hand-over of a rebuilt projection: every live batch of a projection holds
 * this lock shared for its transaction, the swap holds it exclusively. So no
 * event is applied to the old tables after the shadow's last read, and the
 * checkpoints and watermarks the swap sees stay put until the new tables are in.
 */
function lockKey(projection: string) {
  return sql.fragment`hashtextextended(${`eventline.projection-tables:${projection}`}, 0)`;
}

/** Taken by a live batch before it touches the projection's tables or checkpoints. */
export async function shareProjectionTables(
  tx: DatabaseTransactionConnection,
  projection: string,
): Promise<void> {
  await tx.query(sql.typeAlias('void')`SELECT pg_advisory_xact_lock_shared(${lockKey(projection)})`);
}

/** Taken by the swap (and a first-start build): waits for live batches in flight, holds off new ones. */
export async function seizeProjectionTables(
  tx: DatabaseTransactionConnection,
  projection: string,
): Promise<void> {
  await tx.query(sql.typeAlias('void')`SELECT pg_advisory_xact_lock(${lockKey(projection)})`);
}
