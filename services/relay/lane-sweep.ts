import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import type { Message } from 'kafkajs';
import {
  eventTopic,
  type EventCodec,
  RegistryUnavailableError,
  UnencodableEventError,
} from '../messaging/index.ts';
import { batchFields, type Logger } from '../platform/telemetry/index.ts';
import type { LaneCursor, LaneRead, Outbox, OutboxEntry } from '../outbox/index.ts';
import { kafkaRecord, recordBytes } from './kafka-record.ts';
import type { Publisher } from './publisher.ts';
import type { ErrorKind, RelayMetrics } from './relay-metrics.ts';
import { publishTraced } from './traced-publish.ts';

export interface SweepSettings {
  readonly topicPrefix: string;
  /** Rows read per round trip, across every lane held. */
  readonly batchSize: number;
  /** How long the sweep sleeps without a notification before looking anyway. */
  readonly pollIntervalMs: number;
  /** Encoded bytes handed to the publisher per read at most. */
  readonly maxBatchBytes: number;
}

export interface SweepLanes {
  /** The lanes this replica holds now. */
  held(): readonly number[];
  /** Whether this replica's lease on the lane is still safely valid. */
  holdsLease(lane: number): boolean;
}

export interface SweepDependencies {
  readonly outbox: Outbox;
  readonly codec: EventCodec;
  readonly publisher: Publisher;
  readonly metrics: RelayMetrics;
  readonly log: Logger;
  readonly lanes: SweepLanes;
}

class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

function errorKind(error: unknown): ErrorKind {
  const name = error instanceof Error ? error.name : '';
  if (name === 'RegistryUnavailableError') return 'registry';
  // DeadlineMissed: the publisher's send deadline, the sweep's only one.
  if (name.startsWith('KafkaJS') || name === 'BrokenCircuitError' || name === 'DeadlineMissed')
    return 'kafka';
  if (name === 'LeaseLostError') return 'lease';
  return 'database';
}

/** Batches handed to the publisher and not yet acknowledged: one sending, one encoded behind it. */
const MAX_IN_FLIGHT = 2;
/** While rows wait on a running transaction, the sweep looks again after this long, doubling. */
const BLOCKED_FIRST_LOOK_MS = 1;
const BLOCKED_LAST_LOOK_MS = 50;
/**
 * How long acknowledged rows wait for a read to take their delete along before they get a
 * DELETE of their own: a busy sweep reads far more often, and a quiet outbox still loses its
 * published rows within it.
 */
const DELETE_WAIT_MS = 10;
/**
 * How often a quiet sweep starts over from the oldest row on its own. Rows behind the cursor
 * become due only on what starts it over at once (a resumed tenant, lanes changed, a deferred
 * tenant's retry, a failed delete); this covers anything those miss. Not every quiet poll: a
 * start-over scans every halted tenant's backlog again (34 ms for 250,000 rows).
 */
const START_OVER_EVERY_MS = 30_000;

/**
 * Publishes every lane this replica holds in (transaction id, position) order,
 * reading them all in one round trip per batch. While Kafka acknowledges one
 * batch the next is read and encoded; the publisher sends in hand-over order and,
 * when a send fails, fails everything queued behind it, so a later batch never
 * overtakes a failed one. A batch is deleted once acknowledged, by the next read
 * in its round trip (or, if none comes within DELETE_WAIT_MS, by a DELETE of
 * its own). On failure the sweep lets what is in flight settle, backs off
 * (exponentially, with jitter, capped) and reads again from the oldest row not
 * yet deleted.
 *
 * An event whose schema id is not known yet while the registry is unreachable
 * defers its tenant (its rows wait, in order, for the next start from the oldest
 * row, each poll interval); the other tenants go on.
 *
 * The lanes held may change under it: a changed set takes effect at the next
 * read, after what is in flight has settled, from the oldest row (a lane just
 * claimed may hold rows behind the cursor). `settle()` lets the relay give a lane
 * back only once nothing of it is in flight.
 */
export class LaneSweep {
  private cursor: LaneCursor | null = null;
  /**
   * Tenants whose next event needs a schema the registry could not be asked
   * about: their rows wait until the next start from the oldest row, while
   * tenants whose schemas are known go on.
   */
  private readonly deferred = new Map<string, Error>();
  /**
   * Halted tenants whose rows the cursor has passed. One no longer halted was resumed: its rows
   * behind the cursor go before any later one of its own, so the sweep starts over.
   */
  private readonly passedHalted = new Set<string>();
  private readonly inFlight: Promise<void>[] = [];
  /**
   * The page after the last one read, read while that one is encoded; used only if the cursor
   * ends up where it was read from and nothing was halted or deferred meanwhile.
   */
  private ahead:
    | { readonly after: LaneCursor; readonly lanes: readonly number[]; readonly page: Promise<LaneRead> }
    | undefined;
  /**
   * Positions acknowledged and not yet deleted: the next read deletes them in its round trip,
   * or, after DELETE_WAIT_MS without one, a DELETE of their own takes all that waited.
   */
  private toDelete: number[] = [];
  private deleteTimer: NodeJS.Timeout | undefined;
  private deletes: Promise<void> = Promise.resolve();
  private deleting = false;
  /** Reads that took deletes along and have not finished. */
  private readonly carryingDeletes = new Set<Promise<void>>();
  private failure: unknown;
  private lanesChanged = true;
  /** Rows behind the cursor may be due: a tenant resumed, or a delete failed. */
  private startOverRequested = false;
  private lastRestartAt = 0;
  private wakeRequested = true;
  private wakeUp: (() => void) | undefined;
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly settings: SweepSettings,
    private readonly deps: SweepDependencies,
  ) {}

  start(): void {
    this.running ??= this.run();
  }

  /** A notification named a held lane: look now (or right after the current read). */
  wake(): void {
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  /** The lanes held changed: the next read starts over from the oldest row of the new set. */
  changeLanes(): void {
    this.lanesChanged = true;
    this.wake();
  }

  /** The tenants halted now: a passed one missing was resumed, so start over from the oldest row. */
  haltedAre(halted: ReadonlySet<string>): void {
    for (const tenant of this.passedHalted) {
      if (halted.has(tenant)) continue;
      this.startOverRequested = true;
      this.wake();
      return;
    }
  }

  /** Resolves once every batch handed to the publisher so far is acknowledged (or failed) and deleted. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await Promise.all([...this.carryingDeletes]);
    this.deleteNow();
    await this.deletes;
  }

  /** Stops after the batches in flight, and waits for their deletes. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wakeUp?.();
    await this.running;
    await this.settle();
  }

  private async run(): Promise<void> {
    let backoff: IBackoff<unknown> | undefined;
    const backoffFactory = new ExponentialBackoff({ initialDelay: 100, maxDelay: 10_000 });
    let blockedDelay = BLOCKED_FIRST_LOOK_MS;
    while (!this.stopping.signal.aborted) {
      try {
        if (this.failure !== undefined) throw this.failure;
        // Starting over waits for what is in flight, so it happens only when rows behind the
        // cursor may be due: deferred tenants are retried once per poll interval.
        const deferredDue =
          this.deferred.size > 0 && Date.now() - this.lastRestartAt > this.settings.pollIntervalMs;
        if (this.lanesChanged || this.startOverRequested || deferredDue) await this.restart();
        const lanes = this.deps.lanes.held();
        const read = await this.nextPage(lanes);
        if (this.failure !== undefined) throw this.failure;
        for (const tenant of read.haltedTenants) this.passedHalted.add(tenant);
        if (this.lanesChanged) continue;
        const { through } = read;
        // A full page: more are likely waiting, so the next is read while this one is encoded.
        if (read.full && through) this.readAhead(lanes, through);
        if (read.entries.length > 0) await this.handOver(read.entries);
        const last = read.entries.at(-1);
        const caughtUp = last === undefined || this.passed(last);
        // Every entry handed over: the cursor also passes the halted tenants' rows read with them.
        if (caughtUp && through) this.cursor = through;
        backoff = undefined;
        if (read.full) {
          blockedDelay = BLOCKED_FIRST_LOOK_MS;
        } else if (read.blockedBy !== undefined) {
          // Rows wait on an older transaction still running: look again soon (its commit
          // also rings the doorbell), less often the longer it runs.
          if (read.entries.length > 0) blockedDelay = BLOCKED_FIRST_LOOK_MS;
          await this.sleep(blockedDelay, true);
          blockedDelay = Math.min(BLOCKED_LAST_LOOK_MS, blockedDelay * 2);
        } else if (caughtUp) {
          blockedDelay = BLOCKED_FIRST_LOOK_MS;
          // Every row committed before this read is handed over, and every append committed
          // after it started rings the doorbell: the next read waits for a ring (or the poll
          // interval) instead of going out at once to come back empty.
          const woken = await this.sleep(this.pollDelay(), true);
          if (woken === 'timer' && Date.now() - this.lastRestartAt >= START_OVER_EVERY_MS)
            this.startOverRequested = true;
        }
      } catch (error) {
        backoff = backoff ? backoff.next(undefined) : backoffFactory.next();
        const kind = errorKind(error);
        this.deps.metrics.errors.inc({ kind });
        this.deps.log.warn(
          { err: error, kind, retryInMs: Math.round(backoff.duration) },
          'publishing failed; retrying',
        );
        // Read again from the oldest undeleted row: nothing after a failed batch may go first.
        await this.settle();
        this.failure = undefined;
        this.cursor = null;
        this.passedHalted.clear();
        this.deps.publisher.resume();
        // Notifications do not cut a backoff short: they keep coming while Kafka is down.
        await this.sleep(backoff.duration, false);
      }
    }
  }

  /** Whether the cursor is at this row: its page was handed over to its end. */
  private passed(row: OutboxEntry): boolean {
    return this.cursor?.transactionId === row.transactionId && this.cursor.position === row.position;
  }

  /** The page after the cursor: the one read ahead when it was read from there, else read now. */
  private nextPage(lanes: readonly number[]): Promise<LaneRead> {
    const ahead = this.ahead;
    this.ahead = undefined;
    const cursor = this.cursor;
    if (
      ahead &&
      cursor &&
      ahead.after.transactionId === cursor.transactionId &&
      ahead.after.position === cursor.position &&
      ahead.lanes.join() === lanes.join()
    ) {
      return ahead.page;
    }
    return this.read(lanes, cursor);
  }

  private readAhead(lanes: readonly number[], after: LaneCursor): void {
    const page = this.read(lanes, after);
    // Awaited only if used; a page left unused may fail unobserved.
    page.catch(() => undefined);
    this.ahead = { after, lanes, page };
  }

  private read(lanes: readonly number[], after: LaneCursor | null): Promise<LaneRead> {
    // A notification from now on is news to this read: it must wake the sweep after it.
    this.wakeRequested = false;
    const published = this.toDelete;
    this.toDelete = [];
    clearTimeout(this.deleteTimer);
    this.deleteTimer = undefined;
    const started = performance.now();
    const page = this.deps.outbox.readLanes(lanes, after, this.settings.batchSize, published);
    page.then(
      () => this.deps.metrics.outboxRead.observe((performance.now() - started) / 1000),
      () => undefined,
    );
    if (published.length > 0) {
      const carried = page.then(
        () => undefined,
        () => {
          // The read deleted nothing: the rows wait for the next read, or a DELETE of their own.
          this.toDelete.push(...published);
          this.deleteSoon();
        },
      );
      this.carryingDeletes.add(carried);
      void carried.finally(() => this.carryingDeletes.delete(carried));
    }
    return page;
  }

  private async restart(): Promise<void> {
    await this.settle();
    const [first] = this.deferred.values();
    if (first) {
      this.deps.log.warn(
        { err: first, tenants: this.deferred.size },
        'the schema registry is unreachable: tenants whose schemas are not known yet wait',
      );
      this.deferred.clear();
    }
    this.lanesChanged = false;
    this.startOverRequested = false;
    this.cursor = null;
    this.passedHalted.clear();
    this.lastRestartAt = Date.now();
  }

  private pollDelay(): number {
    // Jittered, so replicas' polls spread out instead of arriving together.
    return this.settings.pollIntervalMs * (0.75 + Math.random() * 0.5);
  }

  private sleep(ms: number, wakeable: boolean): Promise<'woken' | 'timer'> {
    if (this.stopping.signal.aborted) return Promise.resolve('woken');
    if (wakeable && this.wakeRequested) return Promise.resolve('woken');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve('timer');
      }, ms);
      this.wakeUp = () => {
        if (!wakeable && !this.stopping.signal.aborted) return;
        this.wakeUp = undefined;
        clearTimeout(timer);
        resolve('woken');
      };
    });
  }

  /** Encodes the rows and hands them to the publisher without awaiting Kafka's acknowledgement. */
  private async handOver(entries: readonly OutboxEntry[]): Promise<void> {
    const halted = new Set<string>();
    const byTopic = new Map<string, Message[]>();
    const published: OutboxEntry[] = [];
    let considered: OutboxEntry | undefined;
    let bytes = 0;
    for (const entry of entries) {
      // The rest waits for the next read, so what is in flight stays bounded.
      if (bytes >= this.settings.maxBatchBytes) break;
      const resumed = !halted.has(entry.tenantId) && this.passedHalted.has(entry.tenantId);
      if (resumed) {
        // Read after its tenant was resumed: the rows the cursor passed go first.
        this.startOverRequested = true;
        this.ahead = undefined;
        break;
      }
      considered = entry;
      if (halted.has(entry.tenantId) || this.deferred.has(entry.tenantId)) continue;
      const topic = eventTopic(this.settings.topicPrefix, entry.context);
      let value: Buffer;
      try {
        value = await this.deps.codec.encode(topic, entry.eventType, entry.schemaVersion, entry.data);
      } catch (error) {
        if (error instanceof RegistryUnavailableError) {
          this.deps.metrics.errors.inc({ kind: 'registry' });
          this.deferred.set(entry.tenantId, error);
          this.ahead = undefined;
          continue;
        }
        if (!(error instanceof UnencodableEventError)) throw error;
        await this.halt(entry, error);
        // Read before the halt, the page ahead may hold the tenant's next events.
        this.ahead = undefined;
        halted.add(entry.tenantId);
        this.passedHalted.add(entry.tenantId);
        continue;
      }
      const message = kafkaRecord(entry, value);
      bytes += recordBytes(message);
      let messages = byTopic.get(topic);
      if (!messages) byTopic.set(topic, (messages = []));
      messages.push(message);
      published.push(entry);
    }
    // Halted tenants' rows are skipped by every later read, and deferred ones until the next
    // start from the oldest row, so the cursor may pass them.
    if (considered) this.cursor = { transactionId: considered.transactionId, position: considered.position };
    if (published.length === 0) return;
    while (this.inFlight.length >= MAX_IN_FLIGHT) await this.inFlight[0];
    if (this.failure !== undefined) throw this.failure;
    // Checked right before handing over, with nothing awaited in between. Read under a set
    // of lanes that has changed since: read again under the new one, from the oldest row.
    if (this.lanesChanged) return;
    // A lease that lapsed unrenewed: another replica may hold the lane by now.
    for (const entry of published) {
      if (!this.deps.lanes.holdsLease(entry.lane)) {
        throw new LeaseLostError(`lease on lane ${entry.lane} lapsed`);
      }
    }
    const handedOver = performance.now();
    const sent = publishTraced(byTopic, (batches) => this.deps.publisher.publish(batches)).then(
      () => {
        this.deps.metrics.send.observe((performance.now() - handedOver) / 1000);
        this.acknowledged(published, byTopic);
      },
      (error: unknown) => {
        this.failure ??= error;
      },
    );
    this.inFlight.push(sent);
    void sent.finally(() => this.inFlight.splice(this.inFlight.indexOf(sent), 1));
  }

  private acknowledged(published: readonly OutboxEntry[], byTopic: ReadonlyMap<string, Message[]>): void {
    const ackedAt = Date.now();
    let oldestEnqueuedAt = ackedAt;
    for (const entry of published) {
      this.deps.metrics.commitToAck.observe(Math.max(0, ackedAt - entry.enqueuedAtMs) / 1000);
      oldestEnqueuedAt = Math.min(oldestEnqueuedAt, entry.enqueuedAtMs);
    }
    for (const [topic, messages] of byTopic) this.deps.metrics.published.inc({ topic }, messages.length);
    this.deps.log.info(
      {
        events: published.length,
        topics: Object.fromEntries([...byTopic].map(([topic, messages]) => [topic, messages.length])),
        fromPosition: published[0]?.position,
        toPosition: published.at(-1)?.position,
        longestCommitToAckMs: ackedAt - oldestEnqueuedAt,
        ...batchFields(published),
      },
      'batch published',
    );
    for (const entry of published) this.toDelete.push(entry.position);
    this.deleteSoon();
  }

  /** A DELETE of their own for the acknowledged rows no read takes along within DELETE_WAIT_MS. */
  private deleteSoon(): void {
    if (this.deleteTimer || this.deleting) return;
    this.deleteTimer = setTimeout(() => this.deleteNow(), DELETE_WAIT_MS);
  }

  private deleteNow(): void {
    clearTimeout(this.deleteTimer);
    this.deleteTimer = undefined;
    if (!this.deleting) this.deletes = this.deleteAcknowledged();
  }

  /**
   * Deletes what Kafka acknowledged, one statement at a time: while one runs, the next batches'
   * positions gather for the one after it, so a busy database gets fewer, larger deletes.
   */
  private async deleteAcknowledged(): Promise<void> {
    this.deleting = true;
    try {
      while (this.toDelete.length > 0) {
        const positions = this.toDelete;
        this.toDelete = [];
        await this.deps.outbox.deletePublished(positions).catch((error: unknown) => {
          // Left in the outbox, they go out again (same event ids) when the sweep starts over.
          this.startOverRequested = true;
          this.deps.metrics.errors.inc({ kind: 'database' });
          this.deps.log.warn({ err: error }, 'deleting published outbox rows failed');
        });
      }
    } finally {
      this.deleting = false;
    }
  }

  private async halt(entry: OutboxEntry, error: Error): Promise<void> {
    this.deps.metrics.errors.inc({ kind: 'encoding' });
    this.deps.log.error(
      {
        lane: entry.lane,
        tenantId: entry.tenantId,
        eventId: entry.eventId,
        eventType: entry.eventType,
        schemaVersion: entry.schemaVersion,
        globalPosition: entry.position,
        reason: error.message,
      },
      `event ${entry.eventId} (${entry.eventType} v${entry.schemaVersion}) cannot be encoded: tenant ${entry.tenantId} halted until its schema is fixed`,
    );
    await this.deps.outbox.haltTenant(entry, error.message);
  }
}
