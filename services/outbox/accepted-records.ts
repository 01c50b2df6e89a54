import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';

/** A record's place on Kafka, and the event it names. */
export interface AcceptedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly eventId: string;
}

const acceptedRow = z.object({ topic: z.string(), kafka_partition: z.number(), kafka_offset: z.string() });

/** `<topic>/<partition>/<offset>`: how a record's place is compared. */
export function recordPlace(record: { topic: string; partition: number; offset: string }): string {
  return `${record.topic}/${record.partition}/${record.offset}`;
}

/**
 * The relay_accepted_records table: records on Kafka whose events the store
 * lacks after a restore, left there by an operator's choice (docs/recovery.md).
 */
export class AcceptedRecords {
  constructor(private readonly pool: DatabasePool) {}

  /** The places of every accepted record. */
  async places(): Promise<Set<string>> {
    const rows = await this.pool.any(sql.type(acceptedRow)`
      SELECT topic, kafka_partition, kafka_offset::text AS kafka_offset FROM relay_accepted_records`);
    return new Set(
      rows.map((row) =>
        recordPlace({ topic: row.topic, partition: row.kafka_partition, offset: row.kafka_offset }),
      ),
    );
  }

  async accept(records: readonly AcceptedRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.pool.query(sql.typeAlias('void')`
      INSERT INTO relay_accepted_records (topic, kafka_partition, kafka_offset, event_id)
      SELECT * FROM unnest(
        ${sql.array(
          records.map((record) => record.topic),
          'text',
        )},
        ${sql.array(
          records.map((record) => record.partition),
          'int4',
        )},
        ${sql.array(
          records.map((record) => record.offset),
          'int8',
        )},
        ${sql.array(
          records.map((record) => record.eventId),
          'uuid',
        )})
      ON CONFLICT DO NOTHING`);
  }
}
