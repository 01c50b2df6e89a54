import { sql } from 'slonik';
import { EventSchemas } from '../../avro/index.ts';
import { Upcasters } from '../../eventstore/index.ts';
import { connectKafka, deadLetterTopic, schemaRegistry } from '../../messaging/index.ts';
import { env, loadConfig } from '../../platform/config/index.ts';
import { openDatabase } from '../../platform/database/index.ts';
import { EventDecoder, replayDeadLetters } from '../../projector/index.ts';
import { projectionNamed, projections } from '../../readmodels/index.ts';
import { kafkaFromEnvironment, registryFromEnvironment } from '../connections.ts';
import { option } from '../options.ts';

const USAGE = 'usage: eventline dlq <list [--projection <name>]|replay <dead-letter topic>>';

interface ParkedRow {
  readonly projection: string;
  readonly topic: string;
  readonly partition: number;
  readonly kafka_offset: number;
  readonly event_id: string;
  readonly event_type: string;
  readonly tenant_id: string;
  readonly error: string;
  readonly attempts: number;
  readonly parked_at: number;
  readonly replayed_at: number | null;
}

async function asOwner<T>(fn: (pool: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const { ADMIN_DATABASE_URL } = loadConfig({ ADMIN_DATABASE_URL: env.ADMIN_DATABASE_URL });
  const pool = await openDatabase(ADMIN_DATABASE_URL, { maximumPoolSize: 2 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

async function list(args: readonly string[]): Promise<void> {
  const name = option(args, '--projection', USAGE);
  if (name !== undefined) projectionNamed(name);
  const rows = (await asOwner((pool) =>
    pool.any(sql.unsafe`
      SELECT projection, topic, partition, kafka_offset, event_id, event_type, tenant_id, error, attempts,
             parked_at, replayed_at
        FROM readmodels.dead_letters
       WHERE ${name === undefined ? sql.fragment`true` : sql.fragment`projection = ${name}`}
       ORDER BY parked_at, projection, event_id`),
  )) as readonly ParkedRow[];
  if (rows.length === 0) console.log('no parked events');
  for (const row of rows) {
    const state = row.replayed_at === null ? 'parked' : `replayed ${new Date(row.replayed_at).toISOString()}`;
    console.log(
      [
        deadLetterTopic(row.topic, row.projection),
        `${row.topic}[${row.partition}]@${row.kafka_offset}`,
        `event ${row.event_id}`,
        row.event_type,
        `tenant ${row.tenant_id}`,
        `attempts ${row.attempts}`,
        `parked ${new Date(row.parked_at).toISOString()}`,
        state,
        row.error,
      ].join('\t'),
    );
  }
}

async function replay(topic: string): Promise<void> {
  const decoder = new EventDecoder(
    schemaRegistry(registryFromEnvironment()),
    await EventSchemas.load(),
    new Upcasters(),
  );
  const kafka = connectKafka({
    connection: kafkaFromEnvironment(),
    clientId: 'eventline-cli',
    retry: { retries: 2 },
  });
  const outcomes = await asOwner((pool) => replayDeadLetters({ pool, kafka, decoder, projections, topic }));
  for (const { eventId, outcome, detail } of outcomes) {
    console.log(`${eventId}\t${outcome}${detail ? `\t${detail}` : ''}`);
  }
  const count = (kind: string) => outcomes.filter((each) => each.outcome === kind).length;
  console.log(
    `${topic}: ${count('applied')} applied, ${count('already replayed')} already replayed, ` +
      `${count('not recorded')} not recorded, ${count('failed')} failed`,
  );
  if (count('failed') > 0) throw new Error(`${count('failed')} parked events still fail; they stay parked`);
}

/**
 * `eventline dlq list [--projection <name>]`: the parked events, as the
 * projector recorded them with its checkpoints. `eventline dlq replay <topic>`:
 * applies the events parked on that dead-letter topic with the projections'
 * current code, each at most once (docs/projector.md: what replay means).
 */
export async function dlqCommand(args: readonly string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action === 'list') return list(rest);
  if (action === 'replay' && rest[0]) return replay(rest[0]);
  throw new Error(USAGE);
}
