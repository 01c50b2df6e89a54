import type { CircuitBreakerPolicy } from 'cockatiel';
import type { Message, Producer } from 'kafkajs';
import { murmur2 } from './java-partitioner.ts';
import { recordBytes } from './kafka-record.ts';
import { ProducerStream } from './producer-stream.ts';

/**
 * Produce requests in flight at once, one per stream. One stream made every
 * batch wait for the acknowledgement of the one before, however few partitions
 * the two shared: under load that wait, not the relay's CPU, was most of the
 * commit-to-ack time (docs/performance.md, issue 20).
 */
export const PRODUCER_STREAMS = 3;

/** Tenants remembered with their stream; past it the memory starts afresh. */
const REMEMBERED_KEYS = 100_000;

/**
 * Sends what the sweep hands it to Kafka through several idempotent producers
 * (streams), each with one request in flight. A record goes to the stream its
 * key (the tenant) hashes to, so every record of a tenant goes through one
 * stream, in hand-over order: a tenant's order holds however the streams'
 * requests interleave. The hash is the partitioner's murmur2, so with a
 * partition count that is a multiple of the streams (the topology's 6 and 12)
 * each stream owns whole partitions and a partition's records share requests;
 * otherwise two streams may write to one partition, each in its own order.
 * Every send goes through the Kafka circuit breaker.
 *
 * A failed send fails everything queued behind it, in every stream, and the
 * publisher refuses new records until `resume()`: the caller then reads again
 * from the oldest unacknowledged row, so no record overtakes one that did not go
 * out. A hand-over settles only once each of its streams' sends has: when it
 * fails, nothing of it is still in flight.
 */
export class Publisher {
  private readonly streams: ProducerStream[];
  private readonly streamOfKey = new Map<string, ProducerStream>();
  private failure: unknown;

  constructor(
    /** A new idempotent producer (acks=all), not yet connected. */
    createProducer: () => Producer,
    breaker: CircuitBreakerPolicy,
    onBatch: (size: number) => void = () => {},
    streams = PRODUCER_STREAMS,
  ) {
    const failed = (error: unknown) => {
      this.failure ??= error;
      for (const stream of this.streams) stream.rejectQueued(error);
    };
    this.streams = Array.from(
      { length: streams },
      () => new ProducerStream(createProducer, breaker, onBatch, failed),
    );
  }

  /** Resolves once Kafka acknowledged every message (acks=all); rejects when it did not. */
  async publish(batches: ReadonlyMap<string, readonly Message[]>): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const parts = new Map<ProducerStream, Map<string, Message[]>>();
    for (const [topic, messages] of batches) {
      for (const message of messages) {
        const stream = this.streamOf(message);
        let byTopic = parts.get(stream);
        if (!byTopic) parts.set(stream, (byTopic = new Map()));
        const list = byTopic.get(topic);
        if (list) list.push(message);
        else byTopic.set(topic, [message]);
      }
    }
    const sent: Promise<void>[] = [];
    for (const [stream, byTopic] of parts) {
      for (const [topic, messages] of byTopic) {
        sent.push(
          new Promise<void>((resolve, reject) => {
            const bytes = messages.reduce((sum, message) => sum + recordBytes(message), 0);
            stream.enqueue({ topic, messages, bytes, resolve, reject });
          }),
        );
      }
    }
    const outcomes = await Promise.allSettled(sent);
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Takes records again after a failure, once the caller has started over from what was not acknowledged. */
  resume(): void {
    this.failure = undefined;
  }

  /** Disconnects; call once nothing publishes any more. */
  async close(): Promise<void> {
    await Promise.all(this.streams.map((stream) => stream.close()));
  }

  private streamOf(message: Message): ProducerStream {
    const key = typeof message.key === 'string' ? message.key : (message.key?.toString('utf8') ?? '');
    let stream = this.streamOfKey.get(key);
    if (!stream) {
      if (this.streamOfKey.size >= REMEMBERED_KEYS) this.streamOfKey.clear();
      stream = this.streams[(murmur2(key) & 0x7fffffff) % this.streams.length] as ProducerStream;
      this.streamOfKey.set(key, stream);
    }
    return stream;
  }
}
