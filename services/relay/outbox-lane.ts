import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import type { Message } from 'kafkajs';
import { eventTopic, type EventCodec, UnencodableEventError } from '../messaging/index.ts';
import type { Logger } from '../platform/telemetry/index.ts';
import type { HorizonWatch } from './horizon-watch.ts';
import { kafkaRecord, recordBytes } from './kafka-record.ts';
import type { LaneCursor, Outbox, OutboxEntry } from './outbox.ts';
import type { Publisher } from './publisher.ts';
import type { ErrorKind, RelayMetrics } from './relay-metrics.ts';

export interface LaneSettings {
  readonly topicPrefix: string;
  /** Rows read per round trip. */
  readonly batchSize: number;
  /** How long a lane sleeps without a notification before looking anyway. */
  readonly pollIntervalMs: number;
  /** A lane's records per produce request at most, in bytes. */
  readonly maxBatchBytes: number;
}

export interface LaneDependencies {
  readonly outbox: Outbox;
  readonly codec: EventCodec;
  readonly publisher: Publisher;
  readonly metrics: RelayMetrics;
  readonly log: Logger;
  /** Whether this replica's lease on the lane is still safely valid. */
  readonly holdsLease: () => boolean;
  readonly horizon: HorizonWatch;
}

function errorKind(error: unknown): ErrorKind {
  const name = error instanceof Error ? error.name : '';
  if (name === 'RegistryUnavailableError') return 'registry';
  if (name.startsWith('KafkaJS') || name === 'BrokenCircuitError' || name === 'TaskCancelledError')
    return 'kafka';
  if (name === 'LeaseLostError') return 'lease';
  return 'database';
}

class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/**
 * One lane: publishes its tenants' outbox rows in (transaction id, position)
 * order, one batch at a time, deleting each batch once Kafka acknowledged it.
 * Woken by notifications, polling when none come; on failure it backs off
 * (exponentially, with jitter, capped) and reads again from the oldest row not
 * yet deleted, so a failed batch is retried whole and nothing is skipped.
 */
export class OutboxLane {
  private cursor: LaneCursor | null = null;
  private pendingDeletes: Promise<void> = Promise.resolve();
  private wakeRequested = true;
  private wakeUp: (() => void) | undefined;
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    readonly lane: number,
    private readonly settings: LaneSettings,
    private readonly deps: LaneDependencies,
  ) {}

  start(): void {
    this.running ??= this.run();
  }

  /** A notification named this lane: look now (or right after the current round). */
  wake(): void {
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  /** Stops after the batch in flight, and waits for its deletes. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wakeUp?.();
    await this.running;
    await this.pendingDeletes;
  }

  private async run(): Promise<void> {
    let backoff: IBackoff<unknown> | undefined;
    const backoffFactory = new ExponentialBackoff({ initialDelay: 100, maxDelay: 10_000 });
    while (!this.stopping.signal.aborted) {
      try {
        const outcome = await this.drain();
        backoff = undefined;
        if (outcome !== 'empty') {
          // Rows wait on an older transaction still running: go as soon as it has finished.
          await this.deps.horizon.passes(outcome.blockedBy, this.stopping.signal);
        } else if ((await this.sleep(this.pollDelay(), true)) === 'timer') {
          // A quiet poll interval: start over from the oldest row, which picks up tenants an
          // operator resumed and rows whose delete failed.
          await this.pendingDeletes;
          this.cursor = null;
        }
      } catch (error) {
        // Read again from the oldest undeleted row: nothing after a failed batch may go first.
        await this.pendingDeletes;
        this.cursor = null;
        backoff = backoff ? backoff.next(undefined) : backoffFactory.next();
        const kind = errorKind(error);
        this.deps.metrics.errors.inc({ kind });
        this.deps.log.warn(
          { err: error, lane: this.lane, kind, retryInMs: Math.round(backoff.duration) },
          'publishing failed; retrying',
        );
        // Notifications do not cut a backoff short: they keep coming while Kafka is down.
        await this.sleep(backoff.duration, false);
      }
    }
  }

  private pollDelay(): number {
    // Jittered, so lanes' polls spread out instead of arriving together.
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

  /** Publishes batches until the lane is empty (or held back by a running transaction). */
  private async drain(): Promise<'empty' | { blockedBy: string }> {
    for (;;) {
      if (this.stopping.signal.aborted) return 'empty';
      this.wakeRequested = false;
      const read = await this.deps.outbox.readLane(this.lane, this.cursor, this.settings.batchSize);
      if (read.entries.length > 0) await this.publish(read.entries);
      if (read.blockedBy !== undefined) return { blockedBy: read.blockedBy };
      if (read.entries.length === 0) return 'empty';
    }
  }

  private async publish(entries: readonly OutboxEntry[]): Promise<void> {
    const halted = new Set<string>();
    const byTopic = new Map<string, Message[]>();
    const published: OutboxEntry[] = [];
    let considered: OutboxEntry | undefined;
    let bytes = 0;
    for (const entry of entries) {
      // The rest waits for the next batch, so one produce request stays under the broker's limit.
      if (bytes >= this.settings.maxBatchBytes) break;
      considered = entry;
      if (halted.has(entry.tenantId)) continue;
      const topic = eventTopic(this.settings.topicPrefix, entry.context);
      let value: Buffer;
      try {
        value = await this.deps.codec.encode(topic, entry.eventType, entry.schemaVersion, entry.data);
      } catch (error) {
        if (!(error instanceof UnencodableEventError)) throw error;
        await this.halt(entry, error);
        halted.add(entry.tenantId);
        continue;
      }
      const message = kafkaRecord(entry, value);
      bytes += recordBytes(message);
      const messages = byTopic.get(topic) ?? [];
      messages.push(message);
      byTopic.set(topic, messages);
      published.push(entry);
    }
    if (published.length > 0) {
      if (!this.deps.holdsLease()) throw new LeaseLostError(`lease on lane ${this.lane} lapsed`);
      await this.deps.publisher.publish(byTopic);
      const ackedAt = Date.now();
      for (const entry of published) {
        this.deps.metrics.commitToAck.observe(Math.max(0, ackedAt - entry.enqueuedAtMs) / 1000);
      }
      for (const [topic, messages] of byTopic) this.deps.metrics.published.inc({ topic }, messages.length);
      const positions = published.map((entry) => entry.position);
      this.pendingDeletes = this.pendingDeletes.then(() =>
        this.deps.outbox.deletePublished(positions).catch((error: unknown) => {
          // Left in the outbox, they go out again (same event ids) when the lane next starts over.
          this.deps.metrics.errors.inc({ kind: 'database' });
          this.deps.log.warn({ err: error, lane: this.lane }, 'deleting published outbox rows failed');
        }),
      );
    }
    // Halted tenants' rows are skipped by every later read, so the cursor may pass them.
    if (considered) this.cursor = { transactionId: considered.transactionId, position: considered.position };
  }

  private async halt(entry: OutboxEntry, error: Error): Promise<void> {
    this.deps.metrics.errors.inc({ kind: 'encoding' });
    this.deps.log.error(
      {
        lane: this.lane,
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
