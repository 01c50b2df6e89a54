import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { sql } from '../../services/platform/database/index.ts';

/** Every lane of the outbox (outbox_lane_count), for a read that takes them all, as a lone relay does. */
export async function everyLane(admin: DatabasePool): Promise<number[]> {
  const count = await admin.oneFirst(
    sql.type(z.object({ lanes: z.number() }))`SELECT outbox_lane_count() AS lanes`,
  );
  return Array.from({ length: count }, (_, lane) => lane);
}
