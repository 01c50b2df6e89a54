import type { DatabaseTransactionConnection } from 'slonik';
import { sql } from '../../platform/database/index.ts';

/**
 * The hand-over of a rebuilt projection: every live batch of a projection holds
 * this lock shared for its transaction, the swap holds it exclusively. So no
 * event is applied to the old tables after the shadow's last read, and the
 * checkpoints and watermarks the swap sees stay put until the new tables are in.
 */
const LOCK_NAME = 'eventline.projection-tables:';

function lockKey(projection: string) {
  return sql.fragment`hashtextextended(${`${LOCK_NAME}${projection}`}, 0)`;
}

/**
 * Taken by a live round before it touches the projections' tables or
 * checkpoints: in one statement, in the names' order, so rounds sharing
 * several never wait on each other in a cycle with a swap.
 */
export async function shareProjectionTables(
  tx: DatabaseTransactionConnection,
  projections: readonly string[],
): Promise<void> {
  const names = [...new Set(projections)].sort().map((name) => `${LOCK_NAME}${name}`);
  await tx.query(sql.typeAlias('void')`
    SELECT pg_advisory_xact_lock_shared(hashtextextended(name, 0))
      FROM unnest(${sql.array(names, 'text')}) WITH ORDINALITY AS locked (name, nth)
     ORDER BY nth`);
}

/** Taken by the swap (and a first-start build): waits for live batches in flight, holds off new ones. */
export async function seizeProjectionTables(
  tx: DatabaseTransactionConnection,
  projection: string,
): Promise<void> {
  await tx.query(sql.typeAlias('void')`SELECT pg_advisory_xact_lock(${lockKey(projection)})`);
}
