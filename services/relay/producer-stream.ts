import { type CircuitBreakerPolicy, TimeoutStrategy, timeout } from 'cockatiel';
import type { Message, Producer } from 'kafkajs';

export interface Pending {
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
 * One idempotent producer and its queue: sends what is queued in queue order,
 * coalescing whatever waits into one sendBatch, one request in flight at a time,
 * so the records of a key given to one stream reach their partition in order.
 *
 * After a failed send the producer is replaced. The idempotent producer numbers
 * its batches per partition; a request that timed out may still have been
 * written, and a retry composed of other records under the same numbers would
 * be taken by the broker for that duplicate and dropped. A new producer id
 * starts new numbering, so that can never happen (a retried record then comes
 * out twice, under its same event-id, which the contract allows).
 */
export class ProducerStream {
  private readonly queue: Pending[] = [];
  private flushing = false;
  private producer: Promise<Producer> | undefined;
  private readonly deadline = timeout(SEND_DEADLINE_MS, TimeoutStrategy.Aggressive);

  constructor(
    /** A new idempotent producer (acks=all), not yet connected. */
    private readonly createProducer: () => Producer,
    private readonly breaker: CircuitBreakerPolicy,
    private readonly onBatch: (size: number) => void,
    /** A send failed: the caller fails what waits in every stream, and takes nothing new for now. */
    private readonly onFailure: (error: unknown) => void,
  ) {}

  enqueue(pending: Pending): void {
    this.queue.push(pending);
    void this.flush();
  }

  /** Fails everything queued and not yet sent. */
  rejectQueued(error: unknown): void {
    for (const pending of this.queue.splice(0)) pending.reject(error);
  }

  /** Disconnects; call once nothing publishes any more. */
  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.then((p) => p.disconnect()).catch(() => undefined);
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

  /** As much of the queue's head as fits one request. */
  private take(): Pending[] {
    const taken: Pending[] = [];
    let bytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0] as Pending;
      if (taken.length > 0 && bytes + next.bytes > MAX_REQUEST_BYTES) break;
      taken.push(next);
      bytes += next.bytes;
      this.queue.shift();
    }
    return taken;
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const taken = this.take();
        const byTopic = new Map<string, Message[]>();
        let size = 0;
        for (const pending of taken) {
          const messages = byTopic.get(pending.topic);
          if (messages) messages.push(...pending.messages);
          else byTopic.set(pending.topic, [...pending.messages]);
          size += pending.messages.length;
        }
        try {
          await this.breaker.execute(() =>
            this.deadline.execute(async () => {
              const producer = await this.connected();
              await producer.sendBatch({
                acks: -1,
                timeout: 10_000,
                topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
              });
            }),
          );
          this.onBatch(size);
          for (const pending of taken) pending.resolve();
        } catch (error) {
          // Also after a deadline: the stuck producer may yet write, under numbers a new one never reuses.
          this.discard();
          for (const pending of taken) pending.reject(error);
          this.onFailure(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
