/**
 * The floor under the projector's CPU per event: a minimal projector, written
 * by hand for this measurement and nothing else, that does for each record
 * only what no projector in Node can avoid, with the packages the projector
 * uses: kafkajs fetches the topic (the projector's fetch settings and
 * partitions at once), the registry client decodes each Avro value, and one
 * statement per partition batch writes a row per event (its id, tenant,
 * type, position and decoded data) together with the partition's checkpoint,
 * atomically. What it leaves out is what the projector adds: three read
 * models folded from the events (their rows read and locked, then written),
 * watermarks, skipping events published twice, erased tenants, parking,
 * rounds shared by partitions, metrics and the query cache's announcement. It
 * writes as the database's owner (no row-level security) into tables of its
 * own, and reads its topic from the beginning: it neither resumes from its
 * checkpoints nor commits offsets to Kafka (the projector does, once a second).
 * Started by bench/scenarios/projector-floor.ts; answers GET /ready once its
 * consumer runs.
 */
import { createServer } from 'node:http';
import { type EachBatchPayload, Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { schemaRegistry } from '../../services/messaging/index.ts';

const setting = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const topic = setting('FLOOR_TOPIC');

const pool = new pg.Pool({ connectionString: setting('FLOOR_DATABASE_URL'), max: 12 });
const registry = schemaRegistry({ url: setting('FLOOR_REGISTRY_URL') });
const kafka = new Kafka({
  brokers: setting('FLOOR_BROKERS').split(','),
  clientId: 'projector-floor',
  logLevel: logLevel.NOTHING,
});
const consumer = kafka.consumer({
  groupId: setting('FLOOR_GROUP'),
  minBytes: 1,
  maxWaitTimeInMs: 500,
  maxBytesPerPartition: 256 * 1024,
  maxBytes: 2 * 1024 * 1024,
});

await pool.query(`
  CREATE TABLE IF NOT EXISTS floor_applied (
    event_id uuid PRIMARY KEY, tenant_id uuid NOT NULL, event_type text NOT NULL,
    global_position bigint NOT NULL, data jsonb NOT NULL);
  CREATE TABLE IF NOT EXISTS floor_checkpoints (
    topic text, partition integer, next_offset bigint NOT NULL, PRIMARY KEY (topic, partition))`);

const header = (headers: EachBatchPayload['batch']['messages'][number]['headers'], name: string) =>
  String(headers?.[name] ?? '');

async function apply({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
  if (batch.isEmpty()) return;
  const ids: string[] = [];
  const tenants: string[] = [];
  const types: string[] = [];
  const positions: string[] = [];
  const data: string[] = [];
  for (const message of batch.messages) {
    if (!message.value) continue;
    ids.push(header(message.headers, 'event-id'));
    tenants.push(header(message.headers, 'tenant-id'));
    types.push(header(message.headers, 'event-type'));
    positions.push(header(message.headers, 'global-position'));
    data.push(JSON.stringify(await registry.decode(message.value)));
  }
  await pool.query(
    `WITH applied AS (
       INSERT INTO floor_applied (event_id, tenant_id, event_type, global_position, data)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::jsonb[])
       ON CONFLICT (event_id) DO NOTHING)
     INSERT INTO floor_checkpoints (topic, partition, next_offset) VALUES ($6, $7, $8)
     ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset`,
    [ids, tenants, types, positions, data, batch.topic, batch.partition, Number(batch.lastOffset()) + 1],
  );
  resolveOffset(batch.lastOffset());
  await heartbeat();
}

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({ autoCommit: false, partitionsConsumedConcurrently: 12, eachBatch: apply });

const server = createServer((req, res) => {
  res.writeHead(req.url === '/ready' ? 200 : 404).end();
});
server.listen(Number(setting('FLOOR_PORT')), '127.0.0.1');

const stop = () => {
  server.close();
  void consumer
    .disconnect()
    .then(() => pool.end())
    .finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
