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
 * A page read again until no running transaction holds it back. The relay's horizon counts every
 * transaction PostgreSQL's snapshot shows running unless pg_stat_activity places it in another
 * database or under a login that cannot write the outbox: one of another test that ends between
 * the two looks counts, and so does an autovacuum worker's. The relay reads again; so does this.
 */
export function readUnblocked(outbox: Outbox, ...page: Parameters<Outbox['readLanes']>): Promise<LaneRead> {
  return waitFor('a page no running transaction holds back', async () => {
    const read = await outbox.readLanes(...page);
    return read.blockedBy === undefined ? read : undefined;
  });
}
