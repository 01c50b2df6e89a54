import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import type { Gauge } from 'prom-client';
import type { DatabasePool } from 'slonik';
import { checkpointOfCursor, storeHoldings } from '../eventstore/index.ts';
import { newestRecords } from '../messaging/index.ts';
import { type AcceptedRecord, AcceptedRecords, recordPlace } from '../outbox/index.ts';
import type { ReadinessCheck } from '../platform/health/index.ts';
import { failureReason } from '../platform/resilience/index.ts';
import type { Logger } from '../platform/telemetry/index.ts';

/** The newest record of a partition, naming an event the store does not hold. */
export interface MissingRecord extends AcceptedRecord {
  readonly tenantId: string;
  readonly eventCursor: string;
}

/** What the relay found: the store behind Kafka, and what an operator may do (docs/recovery.md). */
export interface RestoreReport {
  readonly missing: readonly MissingRecord[];
  /** The lowest transaction id the store's next transaction may take. */
  readonly storeNextTransaction: string;
  /** The highest transaction id in the newest records' event-cursor headers. */
  readonly kafkaNewestTransaction: string | undefined;
  /** The store's next events would carry cursors at or below ones consumers have seen. */
  readonly cursorsGoBack: boolean;
  /** The last position the store's sequence handed out. */
  readonly storePositionHorizon: string;
  /** The highest global-position header among the newest records. */
  readonly kafkaNewestPosition: string | undefined;
  /** The store's next events would carry global-position values records on Kafka already carry. */
  readonly positionsRepeat: boolean;
  /** What RELAY_ACCEPT_RESTORE must say to leave exactly these records on Kafka. */
  readonly id: string;
}

export type Verdict = 'clear' | 'behind';

type State =
  | { readonly kind: 'comparing'; readonly error?: string }
  | { readonly kind: 'clear' }
  | { readonly kind: 'behind'; readonly report: RestoreReport };

function storeVersusKafka(state: () => State): ReadinessCheck {
  return {
    name: 'store-vs-kafka',
    get essential() {
      return state().kind === 'behind';
    },
    check: async () => {
      const now = state();
      if (now.kind === 'behind') throw new Error(describe(now.report));
      if (now.kind === 'comparing') {
        throw new Error(`not compared with Kafka yet${now.error ? `: ${now.error}` : ''}; not publishing`);
      }
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Before publishing, the relay compares what Kafka holds with the store: the
 * newest record of each partition of its topics names an event (tenant-id,
 * event-id headers). A store restored to an earlier point lacks the events
 * published after that point, and publishing on would mix its new events,
 * whose transaction ids and positions go back, into topics consumers already
 * read further. So the relay refuses, says why on /ready, in the log and on
 * eventline_relay_store_behind_kafka_records, until an operator chooses
 * (docs/recovery.md): a new topic generation (another KAFKA_TOPIC_PREFIX, whose
 * topics hold nothing yet), or leaving these records on Kafka by restarting
 * with RELAY_ACCEPT_RESTORE set to the report's id, which is recorded so
 * that later starts do not ask again.
 */
export class RestoreCheck {
  private state: State = { kind: 'comparing' };
  private readonly stopping = new AbortController();
  private readonly accepted: AcceptedRecords;

  constructor(
    private readonly deps: {
      readonly kafka: Kafka;
      readonly pool: DatabasePool;
      /** The topics this relay publishes to. */
      readonly topics: readonly string[];
      /** The throw-away consumer groups' names start so (under the topic prefix). */
      readonly groupPrefix: string;
      /** RELAY_ACCEPT_RESTORE: the id of a report whose records the operator leaves on Kafka. */
      readonly acceptReport: string | undefined;
      readonly behindRecords: Gauge;
      readonly log: Logger;
      readonly timeoutMs: number;
    },
  ) {
    this.accepted = new AcceptedRecords(deps.pool);
  }

  /**
   * /ready: down (503) while the store is behind Kafka. While not compared yet
   * (Kafka unreachable, or the comparison under way) the relay publishes nothing
   * but waits, as it does for Kafka itself: degraded, not down.
   */
  readonly readiness: ReadinessCheck = storeVersusKafka(() => this.state);

  /** Compares once; throws when Kafka or PostgreSQL cannot be read. */
  async compare(): Promise<Verdict> {
    const records = await newestRecords(this.deps.kafka, this.deps.topics, {
      groupId: `${this.deps.groupPrefix}${randomUUID()}`,
      timeoutMs: this.deps.timeoutMs,
    });
    const named = records.flatMap((record) => {
      const tenantId = record.headers['tenant-id'] ?? '';
      const eventId = record.headers['event-id'] ?? '';
      return UUID.test(tenantId) && UUID.test(eventId)
        ? [{ ...record, tenantId, eventId, eventCursor: record.headers['event-cursor'] ?? '' }]
        : [];
    });
    const holdings = await storeHoldings(this.deps.pool, named);
    const accepted = await this.accepted.places();
    const missing: MissingRecord[] = named
      .filter((record) => !holdings.stored.has(`${record.tenantId}/${record.eventId}`))
      .filter((record) => !accepted.has(recordPlace(record)))
      .map(({ topic, partition, offset, eventId, tenantId, eventCursor }) => ({
        topic,
        partition,
        offset,
        eventId,
        tenantId,
        eventCursor,
      }));
    if (missing.length === 0) return this.settle({ kind: 'clear' });

    const transactions = named.flatMap((record) => {
      const point = checkpointOfCursor(record.eventCursor);
      return point ? [BigInt(point.transactionId)] : [];
    });
    const newest = highest(transactions);
    const newestPosition = highest(
      named.flatMap((record) => {
        const position = record.headers['global-position'] ?? '';
        return /^\d+$/.test(position) ? [BigInt(position)] : [];
      }),
    );
    const report: RestoreReport = {
      missing,
      storeNextTransaction: holdings.nextTransaction,
      kafkaNewestTransaction: newest?.toString(),
      cursorsGoBack: newest !== undefined && BigInt(holdings.nextTransaction) <= newest,
      storePositionHorizon: holdings.positionHorizon,
      kafkaNewestPosition: newestPosition?.toString(),
      positionsRepeat: newestPosition !== undefined && BigInt(holdings.positionHorizon) < newestPosition,
      id: reportIdOf(missing),
    };
    const goesBack = report.cursorsGoBack || report.positionsRepeat;
    if (this.deps.acceptReport === report.id && !goesBack) {
      await this.accepted.accept(missing);
      this.deps.log.warn(
        { ...summary(report) },
        'records on Kafka whose events the store lacks are left there, as RELAY_ACCEPT_RESTORE says; publishing',
      );
      return this.settle({ kind: 'clear' });
    }
    if (this.deps.acceptReport === report.id) {
      this.deps.log.error(
        { ...summary(report) },
        'RELAY_ACCEPT_RESTORE names this report, but the store’s transaction ids or positions are not past those on Kafka yet',
      );
    }
    this.deps.log.error({ ...summary(report) }, describe(report));
    return this.settle({ kind: 'behind', report });
  }

  /** Compares until it can (Kafka or PostgreSQL away at start); true once the store is found level with Kafka. */
  async retry(): Promise<boolean> {
    for (let delayMs = 1_000; !this.stopping.signal.aborted; delayMs = Math.min(delayMs * 2, 30_000)) {
      try {
        return (await this.compare()) === 'clear';
      } catch (error) {
        this.failed(error);
        await sleep(delayMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
    return false;
  }

  /** A comparison that could not run: not publishing, and /ready says why. */
  failed(error: unknown): void {
    const reason = failureReason(error);
    this.state = { kind: 'comparing', error: reason };
    this.deps.log.warn({ err: error }, `cannot compare the store with Kafka yet (${reason}); not publishing`);
  }

  stop(): void {
    this.stopping.abort();
  }

  private settle(state: State): Verdict {
    this.state = state;
    this.deps.behindRecords.set(state.kind === 'behind' ? state.report.missing.length : 0);
    return state.kind === 'behind' ? 'behind' : 'clear';
  }
}

function highest(values: readonly bigint[]): bigint | undefined {
  return values.reduce<bigint | undefined>(
    (top, each) => (top === undefined || each > top ? each : top),
    undefined,
  );
}

/** The same records give the same id; a later restore, other records and another id. */
function reportIdOf(missing: readonly MissingRecord[]): string {
  const places = missing.map((record) => `${recordPlace(record)}/${record.eventId}`).sort();
  return createHash('sha256').update(places.join('\n')).digest('hex').slice(0, 16);
}

/** One line for /ready and the log: what was found and what to do. Names no tenant. */
function describe(report: RestoreReport): string {
  const first = report.missing[0];
  const example = first ? ` (e.g. ${first.topic} partition ${first.partition} offset ${first.offset})` : '';
  const advance = [
    report.cursorsGoBack ? `transaction ids past ${report.kafkaNewestTransaction ?? '?'}` : '',
    report.positionsRepeat ? `positions past ${report.kafkaNewestPosition ?? '?'}` : '',
  ].filter(Boolean);
  const choice =
    `move to a new topic generation (KAFKA_TOPIC_PREFIX), or ` +
    (advance.length > 0 ? `advance the store's ${advance.join(' and ')}, then ` : '') +
    `set RELAY_ACCEPT_RESTORE=${report.id}`;
  return (
    `the event store is behind Kafka (restored to an earlier point?): the newest record of ` +
    `${report.missing.length} partition(s) names an event the store does not hold${example}; ` +
    `publishing refused until an operator chooses (docs/recovery.md): ${choice}`
  );
}

/** The report for the log: every missing record (at most 50), the transaction ids, the id. */
function summary(report: RestoreReport) {
  return {
    restore: {
      missingRecords: report.missing.length,
      records: report.missing.slice(0, 50),
      storeNextTransaction: report.storeNextTransaction,
      kafkaNewestTransaction: report.kafkaNewestTransaction,
      cursorsGoBack: report.cursorsGoBack,
      storePositionHorizon: report.storePositionHorizon,
      kafkaNewestPosition: report.kafkaNewestPosition,
      positionsRepeat: report.positionsRepeat,
      id: report.id,
    },
  };
}
