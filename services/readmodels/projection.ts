import type { DatabaseTransactionConnection, FragmentSqlToken, IdentifierSqlToken } from 'slonik';
import { sql } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';

/** One event as a projection sees it, whether it came from Kafka or from the event store. */
export interface ProjectedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly tenantId: TenantId;
  readonly aggregateId: string;
  readonly aggregateVersion: number;
  readonly globalPosition: number;
  readonly occurredAt: Date;
  /** At the newest schema version of its type (upcast when it was written with an older one). */
  readonly data: Record<string, unknown>;
}

/**
 * Where a projection writes: the live schema, or a scratch copy of its tables
 * (the consistency check replays into pg_temp). Handlers never name a schema
 * themselves, so the same code builds either.
 */
export interface ReadModelTarget {
  readonly schema: string;
}

export const LIVE: ReadModelTarget = { schema: 'readmodels' };

/** Applies one event through the transaction it is given; throws to refuse it (then retried, then parked). */
export type EventHandler = (
  tx: DatabaseTransactionConnection,
  event: ProjectedEvent,
  target: ReadModelTarget,
) => Promise<void>;

export interface Projection {
  /** As topology/topology.json names it (its consumer group and dead-letter topics follow). */
  readonly name: string;
  /** The bounded contexts whose topics it reads. */
  readonly sources: readonly string[];
  /** Its tables in the read-model schema: what the consistency check compares. */
  readonly tables: readonly string[];
  /** One handler per event type it handles; other types of its sources pass by. */
  readonly handlers: Readonly<Record<string, EventHandler>>;
  /**
   * Optional: applies a run of events (in commit order) with a few set-based
   * statements, to the same effect as their handlers one by one. A rebuild
   * replays millions of events; a statement per event is what limits it.
   */
  readonly applyMany?: BulkApply;
}

/** A row as a bulk apply reads it: its key's values as text, its other columns as one JSON object. */
export interface StoredRow {
  readonly key: readonly string[];
  readonly stored: unknown;
}

/**
 * Statements a bulk apply shares with the others of its round instead of
 * sending them itself: its read goes to `read`, sent with theirs in one
 * statement (ReadsTogether), and its writes to `writes`, which the caller
 * sends with its own in one statement (sendTogether). Each reads and writes
 * tables of its projection only, which no other projection reads.
 */
export interface SharedStatements {
  readonly read: (statement: FragmentSqlToken) => Promise<readonly StoredRow[]>;
  readonly writes: FragmentSqlToken[];
}

/**
 * Applies events in the order given, as the handlers would; throws to refuse the
 * whole run. False, having written nothing: this run needs the handlers one by one.
 * Given `shared`, its statements go there instead of to the database.
 */
export type BulkApply = (
  tx: DatabaseTransactionConnection,
  events: readonly ProjectedEvent[],
  target: ReadModelTarget,
  shared?: SharedStatements,
) => Promise<boolean>;

/** A projection's table in a target schema. */
export function tableIn(target: ReadModelTarget, table: string): IdentifierSqlToken {
  return sql.identifier([target.schema, table]);
}

/** The event's data, typed as its domain event declares it (the schema registry has validated its shape). */
export function dataOf<Data>(event: ProjectedEvent): Data {
  return event.data as Data;
}
