import { type DatabasePool, sql } from 'slonik';

/** How many lanes tenants are hashed into (the outbox's generated `lane` column: migration 0008). */
export const LANE_COUNT = 64;

/**
 * Leases on lanes in the relay_lanes table, taken and renewed with plain
 * UPDATE … RETURNING statements: no session state (advisory locks, LISTEN), so
 * they work behind a transaction-pooling PgBouncer or RDS Proxy. A lane belongs
 * to its holder until the lease lapses unrenewed; only then may another replica
 * claim it. Replicas announce themselves in relay_replicas, so each takes its
 * fair share (lanes ÷ live replicas) and gives back what exceeds it.
 */
export class LaneLeases {
  constructor(
    private readonly pool: DatabasePool,
    readonly replica: string,
    readonly ttlMs: number,
  ) {}

  /** Says this replica is alive; forgets replicas silent for three lease lengths; counts the live ones. */
  async heartbeat(): Promise<number> {
    return (await this.pool.transaction(async (tx) => {
      await tx.query(sql.unsafe`
        INSERT INTO relay_replicas (replica) VALUES (${this.replica})
        ON CONFLICT (replica) DO UPDATE SET seen_at = now()
      `);
      await tx.query(sql.unsafe`
        DELETE FROM relay_replicas WHERE seen_at < now() - make_interval(secs => ${(3 * this.ttlMs) / 1000})
      `);
      return tx.oneFirst(sql.unsafe`
        SELECT count(*) FROM relay_replicas WHERE seen_at > now() - make_interval(secs => ${(2 * this.ttlMs) / 1000})
      `);
    })) as number;
  }

  /**
   * Extends the leases this replica holds; returns those it still holds. A lease
   * that lapsed but that nobody claimed is still ours: nobody else published it.
   */
  async renew(lanes: readonly number[]): Promise<number[]> {
    if (lanes.length === 0) return [];
    return [
      ...((await this.pool.anyFirst(sql.unsafe`
        UPDATE relay_lanes SET expires_at = now() + make_interval(secs => ${this.ttlMs / 1000})
         WHERE holder = ${this.replica} AND lane = ANY(${sql.array(lanes, 'int2')})
        RETURNING lane
      `)) as readonly number[]),
    ];
  }

  /** Claims up to `count` lanes whose leases have lapsed. */
  async claim(count: number): Promise<number[]> {
    if (count <= 0) return [];
    return [
      ...((await this.pool.anyFirst(sql.unsafe`
        UPDATE relay_lanes
           SET holder = ${this.replica}, epoch = epoch + 1,
               expires_at = now() + make_interval(secs => ${this.ttlMs / 1000})
         WHERE lane IN (SELECT lane FROM relay_lanes WHERE expires_at < now()
                         ORDER BY random() LIMIT ${count} FOR UPDATE SKIP LOCKED)
        RETURNING lane
      `)) as readonly number[]),
    ];
  }

  /** Gives lanes back at once (shutdown, or more than a fair share), so another replica need not wait out the lease. */
  async release(lanes: readonly number[]): Promise<void> {
    if (lanes.length === 0) return;
    await this.pool.query(sql.unsafe`
      UPDATE relay_lanes SET holder = NULL, expires_at = '-infinity'
       WHERE holder = ${this.replica} AND lane = ANY(${sql.array(lanes, 'int2')})
    `);
  }

  async leave(): Promise<void> {
    await this.pool.query(sql.unsafe`DELETE FROM relay_replicas WHERE replica = ${this.replica}`);
  }
}
