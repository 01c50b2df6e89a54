import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { sql } from '../../platform/database/index.ts';
import type { EventStore } from '../../eventstore/index.ts';
import { LIVE, type Projection } from '../projection.ts';
import { applyPage, PASS_START, type PassCursor } from './replay-pass.ts';
import { DEFAULT_PAGE_SIZE } from './rebuild-projection.ts';
import { seizeProjectionTables } from './swap-lock.ts';

export interface FirstBuild {
  /** The projection whose position the new one took. */
  readonly from: string;
  readonly events: number;
}

const TENANTS = sql.identifier(['pg_temp', 'first_build_tenants']);

const sameSources = (a: Projection, b: Projection) =>
  [...a.sources].sort().join(',') === [...b.sources].sort().join(',');

/**
 * A projection the projector has never run (no checkpoint yet) is built from
 * the event store, up to where a projection reading the same topics stands,
 * and takes that one's checkpoints and watermarks: its consumer starts there,
 * instead of replaying topics whose retention may have dropped their start.
 * With no such projection, nothing has been consumed yet and the consumer
 * starts at the topics' beginning, as on a fresh stack.
 *
 * Runs before the projector's consumers start, as its role, into the live
 * tables (empty, and no consumer of the projection writes them yet), in one
 * transaction: interrupted, it leaves nothing, and the next start does it again.
 * Another replica starting at once waits on the projection's tables, then finds
 * the checkpoints and does nothing.
 */
export async function buildNewProjection(
  pool: DatabasePool,
  projection: Projection,
  known: readonly Projection[],
  eventStore: EventStore,
  pageSize = DEFAULT_PAGE_SIZE,
): Promise<FirstBuild | undefined> {
  return pool.transaction(async (tx) => {
    await seizeProjectionTables(tx, projection.name);
    const started = await tx.exists(sql.typeAlias('void')`
      SELECT FROM readmodels.checkpoints WHERE projection = ${projection.name}`);
    if (started) return undefined;
    const siblings = known.filter(
      (other) => other.name !== projection.name && sameSources(other, projection),
    );
    if (siblings.length === 0) return undefined;
    const from = await tx.maybeOneFirst(sql.type(z.object({ projection: z.string() }))`
      SELECT projection FROM readmodels.checkpoints
       WHERE projection = ANY(${sql.array(
         siblings.map((sibling) => sibling.name),
         'text',
       )}) AND next_offset >= 0
       ORDER BY projection LIMIT 1`);
    if (from === null) return undefined;

    await tx.query(sql.typeAlias('void')`
      CREATE TEMP TABLE first_build_tenants (
        projection text NOT NULL,
        tenant_id uuid NOT NULL,
        applied_transaction_id xid8 NOT NULL DEFAULT '0',
        applied_position bigint NOT NULL DEFAULT 0,
        target_transaction_id xid8 NOT NULL,
        target_position bigint NOT NULL,
        PRIMARY KEY (projection, tenant_id)
      ) ON COMMIT DROP`);
    // One statement (a WITH runs its parts on one snapshot): the sibling commits its checkpoints and watermarks together.
    await tx.query(sql.typeAlias('void')`
      WITH marks AS (
        INSERT INTO ${TENANTS} (projection, tenant_id, target_transaction_id, target_position)
        SELECT ${projection.name}, tenant_id, transaction_id, global_position
          FROM readmodels.watermarks WHERE projection = ${from}
        RETURNING tenant_id)
      INSERT INTO readmodels.checkpoints (projection, topic, partition, next_offset)
      SELECT ${projection.name}, topic, partition, next_offset FROM readmodels.checkpoints
       WHERE projection = ${from}`);
    await tx.query(sql.typeAlias('void')`
      INSERT INTO readmodels.watermarks (projection, tenant_id, transaction_id, global_position)
      SELECT projection, tenant_id, target_transaction_id, target_position FROM ${TENANTS}`);

    let events = 0;
    let cursor: PassCursor | undefined = PASS_START;
    while (cursor) {
      const page = await applyPage(tx, projection, TENANTS, LIVE, cursor, pageSize, eventStore);
      events += page.applied;
      cursor = page.next;
    }
    return { from, events };
  });
}
