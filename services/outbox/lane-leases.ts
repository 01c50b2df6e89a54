import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';

/** The replicas alive now, and the share of the lanes each may hold. */
export interface LaneShare {
  readonly replicas: number;
  /** The lane count over the live replicas, rounded up. */
  readonly fairShare: number;
}

const shareRow = z.object({ replicas: z.number(), lanes: z.number() });
const laneRow = z.object({ lane: z.number() });

/**
 * Leases on lanes in the relay_lanes table, taken and renewed with plain
 * UPDATE … RETURNING statements: no session state (advisory locks, LISTEN), so
 * they work behind a transaction-pooling PgBouncer or RDS Proxy. A lane belongs
 * to its holder until the lease lapses unrenewed; only then may another replica
 * claim it. Replicas announce themselves in relay_replicas, so each takes its
 * fair share (lanes ÷ live replicas) and gives back what exceeds it. The lane
 * count is the database's (outbox_lane_count(), migration 0017), read with each
 * heartbeat, so it is written in one place.
 */
export class LaneLeases {
  constructor(
    private readonly pool: DatabasePool,
    readonly replica: string,
    readonly ttlMs: number,
  ) {}

  /** Says this replica is alive; forgets replicas silent for three lease lengths; its share among the live ones. */
  async heartbeat(): Promise<LaneShare> {
    const { replicas, lanes } = await this.pool.transaction(async (tx) => {
      await tx.query(sql.typeAlias('void')`
        INSERT INTO relay_replicas (replica) VALUES (${this.replica})
        ON CONFLICT (replica) DO UPDATE SET seen_at = now()
      `);
      await tx.query(sql.typeAlias('void')`
        DELETE FROM relay_replicas WHERE seen_at < now() - make_interval(secs => ${(3 * this.ttlMs) / 1000})
      `);
      return tx.one(sql.type(shareRow)`
        SELECT count(*) AS replicas, outbox_lane_count() AS lanes FROM relay_replicas
         WHERE seen_at > now() - make_interval(secs => ${(2 * this.ttlMs) / 1000})
      `);
    });
    // Never fewer than this replica, which has just announced itself.
    return { replicas, fairShare: Math.ceil(lanes / Math.max(1, replicas)) };
  }

  /**
   * Extends the leases this replica holds; returns those it still holds. A lease
   * that lapsed but that nobody claimed is still ours: nobody else published it.
   */
  async renew(lanes: readonly number[]): Promise<number[]> {
    if (lanes.length === 0) return [];
    return [
      ...(await this.pool.anyFirst(sql.type(laneRow)`
        UPDATE relay_lanes SET expires_at = now() + make_interval(secs => ${this.ttlMs / 1000})
         WHERE holder = ${this.replica} AND lane = ANY(${sql.array(lanes, 'int2')})
        RETURNING lane
      `)),
    ];
  }

  /** Claims up to `count` lanes whose leases have lapsed. */
  async claim(count: number): Promise<number[]> {
    if (count <= 0) return [];
    return [
      ...(await this.pool.anyFirst(sql.type(laneRow)`
        UPDATE relay_lanes
           SET holder = ${this.replica}, epoch = epoch + 1,
               expires_at = now() + make_interval(secs => ${this.ttlMs / 1000})
         WHERE lane IN (SELECT lane FROM relay_lanes WHERE expires_at < now()
                         ORDER BY random() LIMIT ${count} FOR UPDATE SKIP LOCKED)
        RETURNING lane
      `)),
    ];
  }

  /** Gives lanes back at once (shutdown, or more than a fair share), so another replica need not wait out the lease. */
  async release(lanes: readonly number[]): Promise<void> {
    if (lanes.length === 0) return;
    await this.pool.query(sql.typeAlias('void')`
      UPDATE relay_lanes SET holder = NULL, expires_at = '-infinity'
       WHERE holder = ${this.replica} AND lane = ANY(${sql.array(lanes, 'int2')})
    `);
  }

  async leave(): Promise<void> {
    await this.pool.query(sql.typeAlias('void')`DELETE FROM relay_replicas WHERE replica = ${this.replica}`);
  }
}
