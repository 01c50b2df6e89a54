import { BrokenCircuitError, type IPolicy } from 'cockatiel';
import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';
import { DependencyUnavailableError } from '../platform/errors/index.ts';
import { type OutboxBacklog, outboxBacklog } from './relay-state.ts';

/** One outbox row joined with its event: everything a Kafka record needs. */
export interface OutboxEntry {
  readonly position: number;
  /** The appending transaction's id (xid8), as a decimal string. */
  readonly transactionId: string;
  readonly tenantId: string;
  readonly context: string;
  readonly lane: number;
  /** When the append wrote the row (migration 0038): the clock of commit-to-ack latency. */
  readonly enqueuedAtMs: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly schemaVersion: number;
  readonly streamType: string;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly correlationId: string | null;
  readonly causationId: string | null;
  readonly occurredAtMs: number;
}

/** Where a lane has read up to, in (transaction id, position) order. */
export interface LaneCursor {
  readonly transactionId: string;
  readonly position: number;
}

export interface LaneRead {
  /** Rows every earlier transaction has finished before: safe to publish, in order. */
  readonly entries: readonly OutboxEntry[];
  /**
   * Where the cursor goes once the entries are handed over: the last entry, or,
   * when the page is not full, the lanes' last row, a halted tenant's, so a
   * halted backlog is not read again by the next read.
   */
  readonly through: LaneCursor | undefined;
  /** The tenants halted when the page was read: their rows up to `through` are passed. */
  readonly haltedTenants: ReadonlySet<string>;
  /** As many entries as asked for: more are likely waiting. */
  readonly full: boolean;
  /**
   * Set when rows follow these whose transaction is not older than every running
   * one: the first such row's transaction id. They may go once the horizon passes it.
   */
  readonly blockedBy: string | undefined;
}

/** A row of relay_outbox_page to publish (migrations 0013, 0018). */
const entryRow = z.object({
  global_position: z.number(),
  transaction_id: z.string(),
  tenant_id: z.string(),
  context: z.string(),
  lane: z.number(),
  enqueued_at: z.number(),
  event_id: z.string(),
  event_type: z.string(),
  schema_version: z.number(),
  stream_type: z.string(),
  stream_id: z.string(),
  stream_version: z.number(),
  // The event's data goes to the Avro encoder, which checks it against the schema.
  data: z.unknown(),
  // Checked to be an object without copying its keys: z.record walks each one.
  metadata: z.custom<Readonly<Record<string, unknown>>>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'a JSON object',
  ),
  correlation_id: z.string().nullable(),
  causation_id: z.string().nullable(),
  occurred_at: z.number(),
  horizon: z.string().nullable(),
  halted_tenants: z.null(),
});

/**
 * The page's last row while tenants are halted (migration 0042): their ids, and, when the page
 * is not full, the last row of the lanes, which the cursor may pass.
 */
const passRow = z.object({
  global_position: z.number().nullable(),
  transaction_id: z.string().nullable(),
  horizon: z.string().nullable(),
  halted_tenants: z.array(z.string()),
});

const pageRow = z.union([entryRow, passRow]);

const tenantRow = z.object({ tenant_id: z.string() });

/**
 * The outbox as the relay reads it, through its own role (every tenant's rows):
 * reading pages with their events, pruning published rows, and parking tenants
 * whose events cannot be encoded. The sweep's statements go through
 * PostgreSQL's circuit breaker, so a database that is away costs one failed
 * call per trial, not one per sweep.
 */
export class Outbox {
  constructor(
    private readonly pool: DatabasePool,
    private readonly guard: IPolicy,
  ) {}

  private async guarded<T>(statement: () => Promise<T>): Promise<T> {
    try {
      return await this.guard.execute(statement);
    } catch (error) {
      if (!(error instanceof BrokenCircuitError)) throw error;
      throw new DependencyUnavailableError(
        'postgres',
        'PostgreSQL is skipped for a moment after failed calls',
        {
          cause: error,
        },
      );
    }
  }

  /**
   * The next rows of the given lanes after the cursor, in (transaction id,
   * position) order, with their events (the event store's events_at): one round
   * trip for every lane a replica holds. A row is handed out only when no
   * transaction that could still add a row sorting before it is running
   * (relay_outbox_horizon, migrations 0013 and 0030: the server-wide xmin,
   * leaving out transactions of other databases and of logins that cannot write
   * the outbox, such as the relay's and the projector's);
   * rows are selected without that bound and cut at it here, so the caller
   * learns that more are waiting. A halted tenant's rows are left out, and the
   * cursor passes them (`through`, migration 0042).
   *
   * The rows at `published` (acknowledged by Kafka) are deleted first, in the
   * same round trip and transaction (relay_outbox_prune_and_page, migration
   * 0035), and the page is read after the delete: a read that fails deleted nothing.
   */
  async readLanes(
    lanes: readonly number[],
    after: LaneCursor | null,
    limit: number,
    published: readonly number[] = [],
  ): Promise<LaneRead> {
    if (lanes.length === 0) {
      await this.deletePublished(published);
      return { entries: [], through: undefined, haltedTenants: new Set(), full: false, blockedBy: undefined };
    }
    const from = after ?? { transactionId: '0', position: 0 };
    const rows = await this.guarded(() =>
      this.pool.any(sql.type(pageRow)`
        SELECT * FROM relay_outbox_prune_and_page(${sql.array(published, 'int8')},
                                                  ${sql.array(lanes, 'int2')}, ${from.transactionId}::xid8,
                                                  ${from.position}::bigint, ${limit}::integer)
      `),
    );
    const last = rows.at(-1);
    const pass = last?.halted_tenants ? last : undefined;
    const entries: OutboxEntry[] = [];
    let blockedBy: string | undefined;
    for (const row of rows) {
      if (row.halted_tenants !== null) break;
      if (row.horizon !== null && BigInt(row.transaction_id) >= BigInt(row.horizon)) {
        blockedBy = row.transaction_id;
        break;
      }
      entries.push({
        position: row.global_position,
        transactionId: row.transaction_id,
        tenantId: row.tenant_id,
        context: row.context,
        lane: row.lane,
        enqueuedAtMs: row.enqueued_at,
        eventId: row.event_id,
        eventType: row.event_type,
        schemaVersion: row.schema_version,
        streamType: row.stream_type,
        streamId: row.stream_id,
        streamVersion: row.stream_version,
        data: row.data,
        metadata: row.metadata,
        correlationId: row.correlation_id,
        causationId: row.causation_id,
        occurredAtMs: row.occurred_at,
      });
    }
    const lastEntry = entries.at(-1);
    let through = lastEntry && { transactionId: lastEntry.transactionId, position: lastEntry.position };
    if (blockedBy === undefined && pass && pass.transaction_id !== null && pass.global_position !== null) {
      if (pass.horizon !== null && BigInt(pass.transaction_id) >= BigInt(pass.horizon)) {
        blockedBy = pass.transaction_id;
      } else {
        through = { transactionId: pass.transaction_id, position: pass.global_position };
      }
    }
    return {
      entries,
      through,
      haltedTenants: new Set(pass?.halted_tenants),
      full: entries.length === limit,
      blockedBy,
    };
  }

  /**
   * Deleting a row Kafka acknowledged is the prune: the table holds only the backlog. The delete
   * probes the primary key however many dead rows the table holds (relay_outbox_prune, migration 0039).
   */
  async deletePublished(positions: readonly number[]): Promise<void> {
    if (positions.length === 0) return;
    await this.guarded(() =>
      this.pool.query(sql.typeAlias('void')`SELECT relay_outbox_prune(${sql.array(positions, 'int8')})`),
    );
  }

  /** Parks a tenant: its lane's other tenants go on, its own events wait for an operator. */
  async haltTenant(entry: OutboxEntry, reason: string): Promise<void> {
    await this.guarded(() =>
      this.pool.query(sql.typeAlias('void')`
        INSERT INTO relay_halted_tenants (tenant_id, event_id, event_type, reason)
        VALUES (${entry.tenantId}, ${entry.eventId}, ${entry.eventType}, ${reason})
        ON CONFLICT (tenant_id) DO NOTHING
      `),
    );
  }

  /** Gives every halted tenant one more try: a restarted relay may carry the fixed schema. */
  async resumeHaltedTenants(): Promise<number> {
    const result = await this.pool.query(sql.typeAlias('void')`DELETE FROM relay_halted_tenants`);
    return result.rowCount;
  }

  /** The tenants halted now, for the sweep to see which it passed were resumed. */
  async haltedTenants(): Promise<ReadonlySet<string>> {
    const tenants = await this.pool.anyFirst(sql.type(tenantRow)`SELECT tenant_id FROM relay_halted_tenants`);
    return new Set(tenants);
  }

  /** Rows waiting and the age of the oldest, for the backlog gauges. */
  backlog(): Promise<OutboxBacklog> {
    return outboxBacklog(this.pool);
  }
}
