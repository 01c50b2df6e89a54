import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import type { EventSchemas } from '../avro/index.ts';
import {
  ConcurrencyError,
  DependencyUnavailableError,
  NotFoundError,
  ValidationError,
} from '../platform/errors/index.ts';
import { containsAnyOf, inTenantTransaction, sql } from '../platform/database/index.ts';
import { inSpan, traceparentOf, tracerFor } from '../platform/telemetry/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import { OutboxDoorbell, ringThrough } from '../outbox/index.ts';
import { type EventId, newEventId, type StreamId } from './ids.ts';
import {
  type AppendResult,
  type Checkpoint,
  type EventPoint,
  type CommitRange,
  type EventMetadata,
  type ExpectedVersion,
  type NewEvent,
  type RecordedEvent,
  START,
  type StreamRef,
} from './records.ts';
import { appendOne, CreationBatcher } from './creation-batcher.ts';
import { checkpointRow, EVENT_COLUMNS, EventReader, eventRow } from './rows.ts';
import type { Upcasters } from './upcasters.ts';
import type {
  AppendOptions,
  EventStore,
  PersonalDataSealer,
  LoadedStream,
  ReadAllResult,
  ReadStreamOptions,
  ReplayReadOptions,
  ReplayScope,
  ReplayWindow,
  StreamPoint,
} from './event-store.ts';
import { checkpointsOf, countReplay, readEventsById, readReplay } from './every-tenant-reads.ts';
import type { InlineProjection } from './inline-projection.ts';

const MAX_READ = 10_000;

/** One event as append_to_stream takes it. */
interface StoredEventRow {
  readonly event_id: EventId;
  readonly event_type: string;
  readonly schema_version: number;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
  readonly correlation_id: string;
  readonly causation_id: string | null;
  readonly occurred_at: string;
}

/** A row of load_stream (migration 0007): the snapshot first, when there is one, then the events after it. */
const loadedRow = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('snapshot'),
    stream_type: z.string(),
    stream_version: z.number(),
    data: z.unknown(),
  }),
  eventRow.omit({ tenant_id: true, stream_id: true }).extend({ kind: z.literal('event') }),
]);

const streamRow = z.object({ stream_type: z.string(), version: z.number() });

/** An event a walk passed: whether its data holds what was looked for. */
const walkedRow = eventRow.extend({ holds: z.boolean() });

const tracer = tracerFor('eventstore');

/**
 * An append of a tenant being recovered (its write lock held, migration 0026)
 * fails with SQLSTATE 55P03 at once: a 503 the client retries, not a 500.
 */
function refusedWhileRecovering(error: unknown): never {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if ((cause as { code?: unknown }).code === '55P03' || /is being recovered/.test(cause.message))
      throw new DependencyUnavailableError(
        'tenant-recovery',
        'this tenant is being recovered; retry shortly',
        {
          cause: error,
        },
      );
  }
  throw error;
}

function expectedAsInteger(expected: ExpectedVersion): number | null {
  if (expected === 'any') return null;
  if (expected === 'no-stream') return 0;
  if (!Number.isInteger(expected) || expected < 0) {
    throw new ValidationError('expectedVersion must be a whole number ≥ 0, "no-stream" or "any"', [
      { path: '/expectedVersion', message: `got ${String(expected)}` },
    ]);
  }
  return expected;
}

/**
 * The PostgreSQL event store: the source of truth. Every operation acts for one
 * tenant, and row-level security holds it to that tenant's rows.
 */
export class PostgresEventStore implements EventStore {
  private readonly reader: EventReader;
  private readonly creations: CreationBatcher;
  private readonly doorbell: OutboxDoorbell;

  private readonly inline: readonly InlineProjection[];
  private readonly personalData: PersonalDataSealer | undefined;

  constructor(
    private readonly pool: DatabasePool,
    private readonly schemas: EventSchemas,
    upcasters: Upcasters,
    options: {
      readonly inline?: readonly InlineProjection[];
      /** Without one, an event holding personal data is refused rather than stored in the clear. */
      readonly personalData?: PersonalDataSealer;
    } = {},
  ) {
    this.inline = options.inline ?? [];
    this.personalData = options.personalData;
    this.reader = new EventReader(schemas, upcasters);
    this.creations = new CreationBatcher(pool, (keys) => this.personalData?.keeping(keys));
    this.doorbell = new OutboxDoorbell(ringThrough(pool));
  }

  /** Announces the last appends to the relay; call before closing the pool. */
  async close(): Promise<void> {
    await this.doorbell.flush();
  }

  /**
   * In one round trip when no inline projection follows the stream's type and
   * nothing goes alongside (append_to_stream, a plpgsql function); appends that
   * create their stream share commits under load (CreationBatcher). Otherwise
   * in a transaction with the inline projections and what goes alongside.
   * Traced, the events keep the append span's traceparent, which the relay continues.
   */
  appendToStream(
    tenant: TenantId,
    stream: StreamRef,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    metadata: EventMetadata,
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    const attributes = { 'eventline.stream.type': stream.type, 'eventline.events': events.length };
    return inSpan(tracer, `append ${stream.context}`, { attributes }, () => {
      const traceparent = traceparentOf() ?? metadata.traceparent;
      return this.append(
        tenant,
        stream,
        expected,
        events,
        traceparent ? { ...metadata, traceparent } : metadata,
        options,
      );
    });
  }

  private async append(
    tenant: TenantId,
    stream: StreamRef,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    metadata: EventMetadata,
    options: AppendOptions,
  ): Promise<AppendResult> {
    if (events.length === 0) throw new ValidationError('an append needs at least one event');
    const expectedVersion = expectedAsInteger(expected);
    const eventIds: EventId[] = [];
    const rows: StoredEventRow[] = [];
    const keys: unknown[] = [];
    for (const event of events) {
      const schemaVersion = event.schemaVersion ?? this.schemas.current(event.type).version;
      this.schemas.validate(event.type, schemaVersion, event.data);
      const eventId = event.eventId ?? newEventId();
      eventIds.push(eventId);
      const sealed = await this.sealed(
        tenant,
        event.type,
        schemaVersion,
        event.data as Record<string, unknown>,
      );
      keys.push(...sealed.keys);
      rows.push({
        event_id: eventId,
        event_type: event.type,
        schema_version: schemaVersion,
        data: sealed.data,
        metadata: { ...metadata, tenantId: tenant },
        correlation_id: metadata.correlationId,
        causation_id: metadata.causationId,
        occurred_at: (event.occurredAt ?? new Date()).toISOString(),
      });
    }
    const call = {
      tenant_id: tenant,
      stream_id: stream.id,
      stream_type: stream.type,
      context: stream.context,
      expected_version: expectedVersion,
      events: rows,
    };
    const keep = keys.length > 0 ? this.personalData?.keeping(keys) : undefined;
    const inline = this.inline.filter((projection) => projection.streamTypes.includes(stream.type));
    const result = await (
      inline.length > 0 || options.alongside
        ? inTenantTransaction(this.pool, tenant, async (tx) => {
            const answer = await appendOne(tx, call, keep);
            if (answer.outcome !== 'appended') return answer;
            const first = answer.stream_version - rows.length + 1;
            const appended = rows.map((row, i) => ({
              streamId: stream.id,
              streamVersion: first + i,
              type: row.event_type,
              data: row.data as Record<string, unknown>,
              occurredAt: new Date(row.occurred_at),
            }));
            for (const projection of inline) await projection.apply(tx, tenant, appended);
            await options.alongside?.(tx);
            return answer;
          }).then((answer) => {
            if (answer.outcome === 'appended')
              for (const projection of inline) projection.committed?.(tenant);
            return answer;
          })
        : expectedVersion === 0
          ? this.creations.append(call, keys)
          : appendOne(this.pool, call, keep)
    ).catch(refusedWhileRecovering);
    if (result.outcome === 'conflict') throw new ConcurrencyError(stream.id, expected, result.stream_version);
    if (result.outcome === 'appended') this.doorbell.ring(tenant);
    return {
      nextExpectedVersion: result.stream_version,
      globalPositions: result.global_positions ?? [],
      eventIds,
      duplicate: result.outcome === 'duplicate',
    };
  }

  /**
   * The event's data with its personal fields sealed, and the keys that sealed
   * them; refused when they hold data and nothing can seal it.
   */
  private async sealed(
    tenant: TenantId,
    eventType: string,
    version: number,
    data: Record<string, unknown>,
  ): Promise<{ readonly data: Record<string, unknown>; readonly keys: readonly unknown[] }> {
    const personal = this.schemas.get(eventType, version).personalFields;
    if (personal.length === 0) return { data, keys: [] };
    if (this.personalData) return this.personalData.seal(tenant, eventType, version, data);
    const held = personal.filter((field) => data[field.name] !== null && data[field.name] !== undefined);
    if (held.length === 0) return { data, keys: [] };
    throw new ValidationError(
      `${eventType} holds personal data, which this installation does not accept: it has no key to seal it with (PERSONAL_DATA_KEK, docs/privacy.md)`,
      held.map((field) => ({ path: `/${field.name}`, message: 'personal data is not accepted here' })),
    );
  }

  /**
   * Loads what an aggregate needs in one round trip: the latest snapshot taken
   * with this state version (a stale one is ignored) and the events after it.
   */
  async loadStream(
    tenant: TenantId,
    id: StreamId,
    options: { readonly stateVersion?: number; readonly untilVersion?: number } = {},
  ): Promise<LoadedStream> {
    const rows = await this.pool.any(sql.type(loadedRow)`
      SELECT kind, stream_type, stream_version, event_id, event_type, schema_version, data, metadata,
             global_position, transaction_id, occurred_at, recorded_at
        FROM load_stream(${tenant}, ${id}, ${options.stateVersion ?? null}::integer,
                         ${options.untilVersion ?? null}::integer)
    `);
    let snapshot: LoadedStream['snapshot'];
    const events: RecordedEvent[] = [];
    for (const row of rows) {
      if (row.kind === 'snapshot') {
        snapshot = { version: row.stream_version, state: row.data };
        continue;
      }
      events.push(this.reader.toRecorded({ ...row, tenant_id: tenant, stream_id: id }));
    }
    const last = events.at(-1)?.streamVersion ?? snapshot?.version ?? 0;
    return { streamType: rows[0]?.stream_type, snapshot, events, version: last };
  }

  async readStream(
    tenant: TenantId,
    id: StreamId,
    options: ReadStreamOptions = {},
  ): Promise<RecordedEvent[]> {
    const backward = options.direction === 'backward';
    const limit = Math.min(options.maxCount ?? MAX_READ, MAX_READ);
    const from = options.fromVersion ?? (backward ? 2 ** 31 - 1 : 1);
    const rows = await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.any(sql.type(eventRow)`
        SELECT ${EVENT_COLUMNS} FROM events e
         WHERE e.tenant_id = ${tenant} AND e.stream_id = ${id}
           AND ${backward ? sql.fragment`e.stream_version <= ${from}` : sql.fragment`e.stream_version >= ${from}`}
         ORDER BY e.stream_version ${backward ? sql.fragment`DESC` : sql.fragment`ASC`}
         LIMIT ${limit}
      `),
    );
    return rows.map((row) => this.reader.toRecorded(row));
  }

  /** The stream's events up to a version or an instant: what time travel replays. */
  async readStreamUntil(tenant: TenantId, id: StreamId, until: StreamPoint): Promise<RecordedEvent[]> {
    const bound =
      'version' in until
        ? sql.fragment`e.stream_version <= ${until.version}`
        : // Instants reach us in milliseconds; the store records microseconds.
          sql.fragment`date_trunc('milliseconds', e.recorded_at) <= ${until.at.toISOString()}::timestamptz`;
    const rows = await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.any(sql.type(eventRow)`
        SELECT ${EVENT_COLUMNS} FROM events e
         WHERE e.tenant_id = ${tenant} AND e.stream_id = ${id} AND ${bound}
         ORDER BY e.stream_version
      `),
    );
    return rows.map((row) => this.reader.toRecorded(row));
  }

  /**
   * The tenant's events after a checkpoint, in commit order, for catch-up readers.
   * A sequence value can commit after a larger one, so position order is not
   * commit order: events are read in (transaction id, position) order and only
   * from transactions older than the oldest still running (the snapshot's xmin).
   * Every such transaction has finished, and every later one has a larger id, so
   * a reader never skips an event that commits late.
   * ORDER BY names e.transaction_id: unqualified, it would mean the select
   * list's text form, which sorts '1000' before '999'.
   */
  async readAll(tenant: TenantId, after: Checkpoint, maxCount = 1000): Promise<ReadAllResult> {
    const rows = await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.any(sql.type(eventRow)`
        SELECT ${EVENT_COLUMNS} FROM events e
         WHERE e.tenant_id = ${tenant}
           AND (e.transaction_id, e.global_position) > (${after.transactionId}::xid8, ${after.position}::bigint)
           AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY e.transaction_id, e.global_position
         LIMIT ${Math.min(maxCount, MAX_READ)}
      `),
    );
    const events = rows.map((row) => this.reader.toRecorded(row));
    const last = events.at(-1);
    return {
      events,
      checkpoint: last ? { transactionId: last.transactionId, position: last.globalPosition } : after,
    };
  }

  /**
   * One bounded walk of the tenant's commit order, as readAll's, testing each
   * event's data as JSON text: the events that hold a text come back, with the
   * last one walked, which says where the walk ended even when none did.
   */
  async readAllHolding(
    tenant: TenantId,
    after: Checkpoint,
    texts: readonly string[],
    walk = 5000,
  ): Promise<ReadAllResult> {
    if (texts.length === 0) return { events: [], checkpoint: after };
    const rows = await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.any(sql.type(walkedRow)`
        WITH walked AS MATERIALIZED (
          SELECT ${EVENT_COLUMNS}, e.transaction_id AS commit_transaction,
                 ${containsAnyOf(sql.fragment`e.data::text`, texts)} AS holds
            FROM events e
           WHERE e.tenant_id = ${tenant}
             AND (e.transaction_id, e.global_position) > (${after.transactionId}::xid8, ${after.position}::bigint)
             AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
           ORDER BY e.transaction_id, e.global_position
           LIMIT ${Math.min(walk, MAX_READ)})
        SELECT w.* FROM (
          SELECT walked.*, row_number() OVER (ORDER BY commit_transaction DESC, global_position DESC) AS from_end
            FROM walked) w
         WHERE w.holds OR w.from_end = 1
         ORDER BY w.commit_transaction, w.global_position
      `),
    );
    const last = rows.at(-1);
    return {
      events: rows.filter((row) => row.holds).map((row) => this.reader.toRecorded(row)),
      checkpoint: last ? { transactionId: last.transaction_id, position: last.global_position } : after,
    };
  }

  async lastCommitted(tenant: TenantId): Promise<Checkpoint> {
    const row = await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.maybeOne(sql.type(checkpointRow)`
        SELECT e.transaction_id::text AS transaction_id, e.global_position FROM events e
         WHERE e.tenant_id = ${tenant}
         ORDER BY e.transaction_id DESC, e.global_position DESC
         LIMIT 1`),
    );
    return row ? { transactionId: row.transaction_id, position: row.global_position } : START;
  }

  /** Every event of one correlation, in commit order, each carrying its causation id. */
  async readByCorrelationId(tenant: TenantId, correlationId: string): Promise<RecordedEvent[]> {
    const rows = await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.any(sql.type(eventRow)`
        SELECT ${EVENT_COLUMNS} FROM events e
         WHERE e.tenant_id = ${tenant} AND e.correlation_id = ${correlationId}
         ORDER BY e.transaction_id, e.global_position
         LIMIT ${MAX_READ}
      `),
    );
    return rows.map((row) => this.reader.toRecorded(row));
  }

  /** One round trip (tenant_event_point, migration 0029): read-your-writes asks it per query. */
  async checkpointOf(tenant: TenantId, position: number): Promise<EventPoint | undefined> {
    const row = await this.pool.maybeOne(
      sql.type(z.object({ transaction_id: z.string(), event_type: z.string() }))`
        SELECT transaction_id, event_type FROM tenant_event_point(${tenant}, ${position})`,
    );
    return row ? { transactionId: row.transaction_id, position, eventType: row.event_type } : undefined;
  }

  /** A short range scan of the tenant's commit-order index, in one round trip (migration 0025). */
  async hasEventsBetween(tenant: TenantId, range: CommitRange, types: readonly string[]): Promise<boolean> {
    return this.pool.oneFirst(sql.type(z.object({ found: z.boolean() }))`
      SELECT tenant_has_events_between(
               ${tenant}, ${range.after.transactionId}::xid8, ${range.after.position}::bigint,
               ${range.upTo.transactionId}::xid8, ${range.upTo.position}::bigint,
               ${sql.array([...types], 'text')}) AS found`);
  }

  checkpointsOf(positions: readonly number[]): Promise<ReadonlyMap<number, Checkpoint>> {
    return checkpointsOf(this.pool, positions);
  }

  readReplay(
    scope: ReplayScope,
    after: Checkpoint,
    upTo: Checkpoint,
    size: number,
    options: ReplayReadOptions = {},
  ): Promise<ReplayWindow> {
    return readReplay(options.transaction ?? this.pool, this.reader, scope, after, upTo, size);
  }

  countReplay(scope: ReplayScope, options: ReplayReadOptions = {}): Promise<number> {
    return countReplay(options.transaction ?? this.pool, scope);
  }

  readEventsById(ids: readonly string[], options: ReplayReadOptions = {}): Promise<RecordedEvent[]> {
    return readEventsById(options.transaction ?? this.pool, this.reader, ids);
  }

  /** Keeps the newest snapshot only: an older one arriving late does not replace it. */
  async writeSnapshot(
    tenant: TenantId,
    stream: { readonly id: StreamId; readonly type: string },
    version: number,
    stateVersion: number,
    state: unknown,
  ): Promise<void> {
    await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.query(sql.typeAlias('void')`
        INSERT INTO snapshots (tenant_id, stream_id, stream_type, stream_version, schema_version, state)
        VALUES (${tenant}, ${stream.id}, ${stream.type}, ${version}, ${stateVersion}, ${JSON.stringify(state)}::jsonb)
        ON CONFLICT (tenant_id, stream_id) DO UPDATE
          SET stream_version = EXCLUDED.stream_version, schema_version = EXCLUDED.schema_version,
              state = EXCLUDED.state, created_at = now()
          WHERE snapshots.stream_version < EXCLUDED.stream_version
             OR snapshots.schema_version <> EXCLUDED.schema_version
      `),
    );
  }

  /** The stream's type and version, or NotFoundError: for callers that must tell "missing" from "empty". */
  async streamVersion(tenant: TenantId, id: StreamId): Promise<{ type: string; version: number }> {
    const row = await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.maybeOne(
        sql.type(
          streamRow,
        )`SELECT stream_type, version FROM streams WHERE tenant_id = ${tenant} AND stream_id = ${id}`,
      ),
    );
    if (!row) throw new NotFoundError(`no stream ${id}`);
    return { type: row.stream_type, version: row.version };
  }
}
