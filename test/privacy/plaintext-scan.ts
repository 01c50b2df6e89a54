import type { Redis } from 'ioredis';
import pg from 'pg';
import { asOwner, kafkaAt } from '../relay/harness.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';

/**
 * Where a value appears in plaintext, anywhere the pipeline copies data: every
 * table of the database (each row as text, and bytea as hex), every record of
 * the topics under a prefix (key, value and headers as raw bytes), every Redis
 * key's value, and lines of text (logs, an export).
 */
export async function tablesHolding(adminUrl: string, needle: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    const holding: string[] = [];
    for (const { name } of tables.rows) {
      const found = await client.query<{ found: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM ${name} t
                         WHERE strpos(t::text, $1) > 0
                            OR strpos(t::text, encode(convert_to($1, 'UTF8'), 'hex')) > 0) AS found`,
        [needle],
      );
      if (found.rows[0]?.found) holding.push(name);
    }
    return holding;
  } finally {
    await client.end();
  }
}

/** The tables scanned, so a test can tell an empty scan from a scan of nothing. */
export async function tableCount(adminUrl: string): Promise<number> {
  const [row] = await asOwner<{ n: number }>(
    adminUrl,
    `SELECT count(*)::int AS n FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
  );
  return row?.n ?? 0;
}

export interface RawRecord {
  readonly topic: string;
  readonly bytes: Buffer;
}

/** Every record of every topic under the prefix, dead-letter topics included, read to the end as raw bytes. */
export async function everyRecord(brokers: readonly string[], prefix: string): Promise<RawRecord[]> {
  const kafka = kafkaAt(brokers);
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
  const ends = new Map<string, bigint>();
  for (const topic of topics)
    for (const { partition, high } of await admin.fetchTopicOffsets(topic))
      if (BigInt(high) > 0n) ends.set(`${topic}/${partition}`, BigInt(high));
  await admin.disconnect();
  const records: RawRecord[] = [];
  const reached = new Set<string>();
  const consumer = kafka.consumer({ groupId: uniqueName('plaintext-scan') });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const parts = [message.key ?? Buffer.alloc(0), message.value ?? Buffer.alloc(0)];
        for (const value of Object.values(message.headers ?? {}))
          for (const each of [value].flat()) if (each !== undefined) parts.push(Buffer.from(each));
        records.push({ topic, bytes: Buffer.concat(parts) });
        const end = ends.get(`${topic}/${partition}`);
        if (end !== undefined && BigInt(message.offset) + 1n >= end) reached.add(`${topic}/${partition}`);
      },
    });
    await waitFor(`every record of ${topics.length} topics`, () =>
      [...ends.keys()].every((partition) => reached.has(partition)) ? true : undefined,
    );
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Every Redis key with its value as text (of whatever type), read in pipelined batches of a SCAN. */
export async function everyRedisValue(redis: Redis): Promise<{ key: string; text: string }[]> {
  const found: { key: string; text: string }[] = [];
  for await (const keys of redis.scanStream({ count: 1000 }) as AsyncIterable<string[]>) {
    if (keys.length === 0) continue;
    const types = await redis.pipeline(keys.map((key) => ['type', key])).exec();
    const reads = keys.map((key, i) => {
      const type = String(types?.[i]?.[1]);
      if (type === 'hash') return ['hgetall', key];
      if (type === 'list') return ['lrange', key, '0', '-1'];
      if (type === 'set') return ['smembers', key];
      if (type === 'zset') return ['zrange', key, '0', '-1'];
      return ['get', key];
    });
    const values = await redis.pipeline(reads).exec();
    keys.forEach((key, i) => {
      const value = values?.[i]?.[1];
      found.push({ key, text: typeof value === 'string' ? value : JSON.stringify(value ?? null) });
    });
  }
  return found;
}
