import type { IPolicy } from 'cockatiel';
import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
import type { DatabaseTransactionConnection } from 'slonik';
import { deadLetterTopic } from '../messaging/index.ts';
import { sql } from '../platform/database/index.ts';
import { EventDecoder } from './incoming-event.ts';

export interface ParkedRecord {
  readonly projection: string;
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  readonly error: Error;
  readonly attempts: number;
}

/**
 * Parks what a projection cannot apply on `<source topic>.<projection>.dlq`
 * (docs/contracts.md §8): the original key, value and headers, plus why, how often it
 * was tried and where it came from. The record is sent before the batch's
 * transaction commits, so a crash in between parks it twice (same event-id)
 * rather than never; the dead_letters row commits with the checkpoint.
 */
export class DeadLetters {
  constructor(
    private readonly producer: Producer,
    /** Kafka's circuit breaker: while the broker is away, a batch to park fails at once and is retried. */
    private readonly kafkaGuard: IPolicy,
  ) {}

  async park(tx: DatabaseTransactionConnection, parked: ParkedRecord): Promise<void> {
    const { message } = parked;
    const headers: IHeaders = {
      ...message.headers,
      'dlq-error': `${parked.error.name}: ${parked.error.message}`.slice(0, 2_000),
      'dlq-attempts': String(parked.attempts),
      'dlq-source-partition': String(parked.partition),
      'dlq-source-offset': message.offset,
      'dlq-failed-at': new Date().toISOString(),
    };
    await this.kafkaGuard.execute(() =>
      this.producer.send({
        topic: deadLetterTopic(parked.topic, parked.projection),
        acks: -1,
        messages: [{ key: message.key, value: message.value, headers }],
      }),
    );
    const origin = EventDecoder.origin(message);
    const eventId = message.headers?.['event-id']?.toString();
    // Only an event the store knows is recorded: the consistency check skips it in its replay.
    if (!origin || !eventId) return;
    await tx.query(sql.typeAlias('void')`
      INSERT INTO readmodels.dead_letters (projection, event_id, tenant_id, event_type, global_position, topic,
                                           partition, kafka_offset, error, attempts)
      VALUES (${parked.projection}, ${eventId}, ${origin.tenantId},
              ${message.headers?.['event-type']?.toString() ?? ''}, ${origin.position}, ${parked.topic},
              ${parked.partition}, ${message.offset}, ${String(headers['dlq-error'])}, ${parked.attempts})
      ON CONFLICT (projection, event_id) DO NOTHING`);
  }
}
