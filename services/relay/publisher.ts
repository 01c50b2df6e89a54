import type { CircuitBreakerPolicy } from 'cockatiel';
import type { Message, Producer } from 'kafkajs';
import { withinDeadline } from '../platform/resilience/index.ts';
import { recordBytes } from './kafka-record.ts';

interface Pending {
  readonly topic: string;
  readonly messages: readonly Message[];
  readonly bytes: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** What one produce request may carry at most: under the broker's default message.max.bytes (1 MiB). */
const MAX_REQUEST_BYTES = 900_000;

/**
 * A connect-and-send that has not finished by now is given up: a producer whose
 * connect never settled once left a replica holding its lanes without publishing
 * anything, for minutes. Longer than kafkajs' own retries of a failing request.
 */
const SEND_DEADLINE_MS = 30_000;

/**
 * Sends what the sweep hands it to Kafka in hand-over order, coalescing whatever
 * is waiting into one sendBatch, one request in flight at a time, each hand-over
 * awaiting only its own acknowledgement. Every send goes through the Kafka
 * circuit breaker.
 *
 * A failed send fails everything queued behind it, and the publisher refuses
 * new records until `resume()`: the caller then reads again from the oldest
 * unacknowledged row, so no record overtakes one that did not go out.
 *
 * After a failed send the producer is replaced. The idempotent producer numbers
 * its batches per partition; a request that timed out may still have been
 * written, and a retry composed of other records under the same numbers would
 * be taken by the broker for that duplicate and dropped. A new producer id
 * starts new numbering, so that can never happen (a retried record then comes
 * out twice, under its same event-id, which the contract allows).
 */
export class Publisher {
  private readonly queue: Pending[] = [];
  private flushing = false;
  private producer: Promise<Producer> | undefined;
  private failure: unknown;

  constructor(
    /** A new idempotent producer (acks=all), not yet connected. */
    private readonly createProducer: () => Producer,
    private readonly breaker: CircuitBreakerPolicy,
    private readonly onBatch: (size: number) => void = () => {},
  ) {}

  /** Resolves once Kafka acknowledged every message (acks=all); rejects when it did not. */
  publish(batches: ReadonlyMap<string, readonly Message[]>): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const sent = [...batches].map(
      ([topic, messages]) =>
        new Promise<void>((resolve, reject) => {
          const bytes = messages.reduce((sum, message) => sum + recordBytes(message), 0);
          this.queue.push({ topic, messages, bytes, resolve, reject });
        }),
    );
    void this.flush();
    return Promise.all(sent).then(() => undefined);
  }

  /** Takes records again after a failure, once the caller has started over from what was not acknowledged. */
  resume(): void {
    this.failure = undefined;
  }

  private connected(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.createProducer();
      this.producer = producer.connect().then(
        () => producer,
        (error: unknown) => {
          this.producer = undefined;
          throw error;
        },
      );
    }
    return this.producer;
  }

  private discard(): void {
    const producer = this.producer;
    this.producer = undefined;
    void producer?.then((p) => p.disconnect()).catch(() => undefined);
  }

  /** Disconnects; call once nothing publishes any more. */
  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.then((p) => p.disconnect()).catch(() => undefined);
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const taken: Pending[] = [];
        let bytes = 0;
        while (this.queue.length > 0) {
          const next = this.queue[0] as Pending;
          if (taken.length > 0 && bytes + next.bytes > MAX_REQUEST_BYTES) break;
          taken.push(next);
          bytes += next.bytes;
          this.queue.shift();
        }
        const byTopic = new Map<string, Message[]>();
        for (const pending of taken) {
          const messages = byTopic.get(pending.topic) ?? [];
          messages.push(...pending.messages);
          byTopic.set(pending.topic, messages);
        }
        const size = taken.reduce((sum, pending) => sum + pending.messages.length, 0);
        try {
          // withinDeadline, not cockatiel's timeout policy: that one aborts an AbortController after
          // every call, and each abort built a DOMException (1.7 % of the relay's busy time).
          await this.breaker.execute(() =>
            withinDeadline(
              this.connected().then((producer) =>
                producer.sendBatch({
                  acks: -1,
                  timeout: 10_000,
                  topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
                }),
              ),
              SEND_DEADLINE_MS,
            ),
          );
          this.onBatch(size);
          for (const pending of taken) pending.resolve();
        } catch (error) {
          // Also after a deadline: the stuck producer may yet write, under numbers a new one never reuses.
          this.discard();
          this.failure = error;
          for (const pending of [...taken, ...this.queue.splice(0)]) pending.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
