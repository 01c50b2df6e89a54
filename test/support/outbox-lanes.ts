import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import type { LaneRead, Outbox } from '../../services/outbox/index.ts';
import { sql } from '../../services/platform/database/index.ts';
import { waitFor } from './wait.ts';

/** Every lane of the outbox (outbox_lane_count), for a read that takes them all, as a lone relay does. */
export async function everyLane(admin: DatabasePool): Promise<number[]> {
  const count = await admin.oneFirst(
    sql.type(z.object({ lanes: z.number() }))`SELECT outbox_lane_count() AS lanes`,
  );
  return Array.from({ length: count }, (_, lane) => lane);
}

/**
 * A page read again until no running transaction holds it back. The relay's horizon counts a
 * transaction of any database that PostgreSQL's snapshot shows running but pg_stat_activity no
 * longer does, so another test's commit can block one read for a moment; the relay simply reads
 * again, and so does this.
 */
export function readUnblocked(outbox: Outbox, ...page: Parameters<Outbox['readLanes']>): Promise<LaneRead> {
  return waitFor('a page no running transaction holds back', async () => {
    const read = await outbox.readLanes(...page);
    return read.blockedBy === undefined ? read : undefined;
  });
}
