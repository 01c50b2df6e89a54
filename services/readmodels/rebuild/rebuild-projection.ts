import type { DatabasePool, DatabasePoolConnection, DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { sql } from '../../platform/database/index.ts';
import type { EventStore } from '../../eventstore/index.ts';
import type { Projection } from '../projection.ts';
import { applyPage, closePass, countPass, openPass, type PassCursor } from './replay-pass.ts';
import { createShadow, dropShadow, shadowOf, swapIn } from './shadow-tables.ts';
import { seizeProjectionTables } from './swap-lock.ts';

export interface RebuildProgress {
  readonly projection: string;
  readonly pass: number;
  readonly eventsApplied: number;
  /** Events up to the live watermarks as of the current pass's start: it grows while the live projection moves on. */
  readonly eventsTotal: number;
}

export interface RebuildReport extends RebuildProgress {
  /** It went on from a rebuild an earlier run left unfinished. */
  readonly resumed: boolean;
}

export interface RebuildOptions {
  /** Where the events come from: a store that reads every tenant (the schema owner's). */
  readonly events: EventStore;
  /** Events read (and applied) per transaction. */
  readonly pageSize?: number;
  /** A pass that applied at most this many events is followed by the hand-over (default: one page). */
  readonly handOverBelow?: number;
  /**
   * The hand-over follows this many passes even when the last was larger (the
   * live projection moving about as fast as the rebuild): its final pass then
   * holds the live batches back for longer, but the rebuild ends.
   */
  readonly maxPasses?: number;
  /** Stops between two pages; what was committed stays, and the next run resumes from it. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: RebuildProgress) => void;
}

const TENANTS = sql.identifier(['readmodels', 'rebuild_tenants']);
export const DEFAULT_PAGE_SIZE = 10_000;
const DEFAULT_MAX_PASSES = 5;

interface Under {
  pass: number;
  cursor: PassCursor;
  eventsApplied: number;
  eventsTotal: number;
}

function rebuildLock(projection: Projection) {
  return sql.fragment`hashtextextended(${`eventline.projection-rebuild:${projection.name}`}, 0)`;
}

const unfinished = z.object({
  pass: z.number().int(),
  cursor_transaction_id: z.string(),
  cursor_position: z.number().int(),
  events_applied: z.number().int(),
  events_total: z.number().int(),
  shadow_exists: z.boolean(),
});

/** Goes on with the rebuild an earlier run left, or starts one: empty shadow tables, the first pass opened. */
async function startOrResume(
  tx: DatabaseTransactionConnection,
  projection: Projection,
  events: EventStore,
): Promise<{ under: Under; resumed: boolean }> {
  const row = await tx.maybeOne(sql.type(unfinished)`
    SELECT r.pass, r.cursor_transaction_id::text AS cursor_transaction_id, r.cursor_position,
           r.events_applied, r.events_total,
           EXISTS (SELECT FROM pg_namespace WHERE nspname = r.shadow_schema) AS shadow_exists
      FROM readmodels.rebuilds r
     WHERE r.projection = ${projection.name} AND r.state = 'building'`);
  if (row?.shadow_exists) {
    const cursor = { transactionId: row.cursor_transaction_id, position: row.cursor_position };
    return {
      under: { pass: row.pass, cursor, eventsApplied: row.events_applied, eventsTotal: row.events_total },
      resumed: true,
    };
  }
  await createShadow(tx, projection);
  await tx.query(
    sql.typeAlias('void')`DELETE FROM readmodels.rebuilds WHERE projection = ${projection.name}`,
  );
  await tx.query(sql.typeAlias('void')`
    INSERT INTO readmodels.rebuilds (projection, shadow_schema, state)
    VALUES (${projection.name}, ${shadowOf(projection).schema}, 'building')`);
  const cursor = await openPass(tx, projection, TENANTS);
  const eventsTotal = await countPass(tx, projection, TENANTS, events);
  const under = { pass: 1, cursor, eventsApplied: 0, eventsTotal };
  await persist(tx, projection, under);
  return { under, resumed: false };
}

async function persist(
  tx: DatabaseTransactionConnection,
  projection: Projection,
  under: Under,
): Promise<void> {
  await tx.query(sql.typeAlias('void')`
    UPDATE readmodels.rebuilds
       SET pass = ${under.pass}, cursor_transaction_id = ${under.cursor.transactionId}::xid8,
           cursor_position = ${under.cursor.position}, events_applied = ${under.eventsApplied},
           events_total = ${under.eventsTotal}, updated_at = now()
     WHERE projection = ${projection.name}`);
}

/** Pages through the open pass, each page in its own transaction with the progress; the events it applied. */
async function runPass(
  connection: DatabasePoolConnection,
  projection: Projection,
  under: Under,
  options: RebuildOptions,
): Promise<number> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const target = shadowOf(projection);
  let applied = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const page = await connection.transaction(async (tx) => {
      const outcome = await applyPage(
        tx,
        projection,
        TENANTS,
        target,
        under.cursor,
        pageSize,
        options.events,
      );
      const next = {
        ...under,
        cursor: outcome.next ?? under.cursor,
        eventsApplied: under.eventsApplied + outcome.applied,
      };
      if (!outcome.next) {
        await closePass(tx, projection, TENANTS);
      }
      await persist(tx, projection, next);
      return { outcome, next };
    });
    Object.assign(under, page.next);
    applied += page.outcome.applied;
    options.onProgress?.(progressOf(projection, under));
    if (!page.outcome.next) return applied;
  }
}

function progressOf(projection: Projection, under: Under): RebuildProgress {
  return {
    projection: projection.name,
    pass: under.pass,
    eventsApplied: under.eventsApplied,
    eventsTotal: Math.max(under.eventsTotal, under.eventsApplied),
  };
}

class ReplayedDuringRebuild extends Error {}

/**
 * The hand-over, in one transaction: the projection's tables seized (live
 * batches in flight finish, new ones wait), a last pass brings the shadow to
 * the live watermarks, which cannot move now, and the shadow tables take the
 * live ones' place. The checkpoints are untouched: they match the watermarks,
 * which the new tables now reflect exactly.
 */
async function handOver(
  connection: DatabasePoolConnection,
  projection: Projection,
  under: Under,
  options: RebuildOptions,
): Promise<void> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  await connection.transaction(async (tx) => {
    await seizeProjectionTables(tx, projection.name);
    under.pass += 1;
    let cursor: PassCursor | undefined = await openPass(tx, projection, TENANTS);
    under.eventsTotal = under.eventsApplied + (await countPass(tx, projection, TENANTS, options.events));
    while (cursor) {
      const page = await applyPage(
        tx,
        projection,
        TENANTS,
        shadowOf(projection),
        cursor,
        pageSize,
        options.events,
      );
      under.eventsApplied += page.applied;
      cursor = page.next;
    }
    await swapIn(tx, projection);
    // After the DROP, which waited for any `dlq replay` writing the old tables: a parked
    // event replayed since the rebuild began may sit where a pass had already gone by.
    const replayed = await tx.exists(sql.typeAlias('void')`
      SELECT FROM readmodels.dead_letters d, readmodels.rebuilds r
       WHERE d.projection = ${projection.name} AND r.projection = d.projection AND d.replayed_at >= r.started_at`);
    if (replayed) throw new ReplayedDuringRebuild();
    await tx.query(sql.typeAlias('void')`
      UPDATE readmodels.rebuilds
         SET state = 'swapped', pass = ${under.pass}, events_applied = ${under.eventsApplied},
             events_total = ${under.eventsApplied}, updated_at = now(), swapped_at = now()
       WHERE projection = ${projection.name}`);
    await tx.query(
      sql.typeAlias('void')`DELETE FROM readmodels.rebuild_tenants WHERE projection = ${projection.name}`,
    );
  });
}

async function abandon(connection: DatabasePoolConnection, projection: Projection): Promise<void> {
  await connection.transaction(async (tx) => {
    await dropShadow(tx, projection);
    await tx.query(
      sql.typeAlias('void')`DELETE FROM readmodels.rebuilds WHERE projection = ${projection.name}`,
    );
  });
}

/**
 * `eventline projections rebuild <name>`: builds the projection's tables anew
 * in a shadow schema from the event store while the live ones keep serving and
 * consuming, in passes (each brings every tenant up to the live watermark of
 * its start), then swaps them in. Runs as the schema owner. Interrupted, it
 * resumes from its last committed page; one rebuild per projection at a time.
 */
export async function rebuildProjection(
  owner: DatabasePool,
  projection: Projection,
  options: RebuildOptions,
): Promise<RebuildReport> {
  const handOverBelow = options.handOverBelow ?? options.pageSize ?? DEFAULT_PAGE_SIZE;
  return owner.connect(async (connection) => {
    const mine = await connection.oneFirst(
      sql.type(
        z.object({ locked: z.boolean() }),
      )`SELECT pg_try_advisory_lock(${rebuildLock(projection)}) AS locked`,
    );
    if (!mine) throw new Error(`a rebuild of ${projection.name} is running already`);
    try {
      const { under, resumed } = await connection.transaction((tx) =>
        startOrResume(tx, projection, options.events),
      );
      options.onProgress?.(progressOf(projection, under));
      for (;;) {
        const applied = await runPass(connection, projection, under, options);
        if (applied <= handOverBelow || under.pass >= (options.maxPasses ?? DEFAULT_MAX_PASSES)) break;
        await connection.transaction(async (tx) => {
          under.pass += 1;
          under.cursor = await openPass(tx, projection, TENANTS);
          under.eventsTotal =
            under.eventsApplied + (await countPass(tx, projection, TENANTS, options.events));
          await persist(tx, projection, under);
        });
      }
      options.signal?.throwIfAborted();
      try {
        await handOver(connection, projection, under, options);
      } catch (error) {
        if (!(error instanceof ReplayedDuringRebuild)) throw error;
        await abandon(connection, projection);
        throw new Error(
          `dead letters of ${projection.name} were replayed during its rebuild; the rebuild was abandoned: run it again`,
        );
      }
      const report = { ...progressOf(projection, under), resumed };
      options.onProgress?.(report);
      return report;
    } finally {
      await connection.query(sql.typeAlias('void')`SELECT pg_advisory_unlock(${rebuildLock(projection)})`);
    }
  });
}
