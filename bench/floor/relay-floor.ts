/**
 * The floor under the relay's CPU per event: a minimal relay, written by hand
 * for this measurement and nothing else, that does for each outbox row only
 * the I/O no relay in Node can avoid, with the packages the relay must use
 * (pg, kafkajs, the registry client through the relay's Avro codec and record
 * layout, docs/contracts.md §8): woken by the outbox doorbell's NOTIFY, it
 * reads up to a page of rows with their events in commit order, produces them
 * in one request (idempotent, acks from all replicas, key = tenant, the
 * Java-compatible partitioner), and deletes them in the round trip of its
 * next read. What it leaves out is what the relay adds for its guarantees and
 * operations: lanes and their leases, the wait for transactions still in
 * flight (per-tenant order), halting a tenant, circuit breakers, metrics. It
 * reads as the database's owner (no row-level security), one page at a time.
 * FLOOR_HOLD_MS > 0 holds each ring that long before the sweep it starts, so
 * the appends of that time go in one page: CPU per event bought with latency.
 * Started by bench/scenarios/relay-floor.ts; answers GET /ready once connected.
 */
import { createServer } from 'node:http';
import { NoopPolicy } from 'cockatiel';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import pg from 'pg';
import { EventSchemas } from '../../services/avro/index.ts';
import { EventCodec, schemaRegistry } from '../../services/messaging/index.ts';
import { recordOfStoredEvent, STORED_EVENT_COLUMNS, type StoredEventRow } from '../lib/stored-events.ts';

const setting = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const topic = setting('FLOOR_TOPIC');
const holdMs = Number(process.env.FLOOR_HOLD_MS ?? '0');
const PAGE = 500;

const PAGE_QUERY = `
  SELECT ${STORED_EVENT_COLUMNS}
    FROM outbox o
    JOIN events e ON e.global_position = o.global_position AND e.tenant_id = o.tenant_id AND NOT e.archived
   ORDER BY o.transaction_id, o.global_position
   LIMIT ${PAGE}`;

const database = new pg.Client({ connectionString: setting('FLOOR_DATABASE_URL') });
const doorbell = new pg.Client({ connectionString: setting('FLOOR_DATABASE_URL') });
const kafka = new Kafka({
  brokers: setting('FLOOR_BROKERS').split(','),
  clientId: 'relay-floor',
  logLevel: logLevel.NOTHING,
});
const producer = kafka.producer({
  idempotent: true,
  maxInFlightRequests: 1,
  createPartitioner: Partitioners.JavaCompatiblePartitioner,
});
const codec = new EventCodec(
  schemaRegistry({ url: setting('FLOOR_REGISTRY_URL') }),
  await EventSchemas.load(),
  new NoopPolicy(),
);

/**
 * The positions Kafka acknowledged, deleted in the same round trip as the next
 * read (two statements in one simple query: the positions are integers the
 * floor itself read, written into the text).
 */
async function readPage(published: readonly string[]): Promise<StoredEventRow[]> {
  if (published.length === 0) return (await database.query<StoredEventRow>(PAGE_QUERY)).rows;
  const results = (await database.query(
    `DELETE FROM outbox WHERE global_position = ANY('{${published.join(',')}}'::bigint[]); ${PAGE_QUERY}`,
  )) as unknown as pg.QueryResult<StoredEventRow>[];
  return results[1]?.rows ?? [];
}

async function publish(rows: readonly StoredEventRow[]): Promise<void> {
  const messages = await Promise.all(
    rows.map(async (row) =>
      recordOfStoredEvent(row, await codec.encode(topic, row.event_type, row.schema_version, row.data)),
    ),
  );
  await producer.send({ topic, acks: -1, messages });
}

let rung = false;
let sweeping: Promise<void> | undefined;

/** Pages until the outbox is empty, then once more if the doorbell rang meanwhile. */
async function sweep(): Promise<void> {
  let published: string[] = [];
  do {
    rung = false;
    for (;;) {
      const rows = await readPage(published);
      published = [];
      if (rows.length === 0) break;
      await publish(rows);
      published = rows.map((row) => row.global_position);
    }
  } while (rung);
}

function ring(): void {
  rung = true;
  sweeping ??= (holdMs > 0 ? new Promise((resolve) => setTimeout(resolve, holdMs)) : Promise.resolve())
    .then(sweep)
    .catch((error: unknown) => {
      process.stderr.write(`relay-floor: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    })
    .finally(() => {
      sweeping = undefined;
      if (rung) ring();
    });
}

await Promise.all([database.connect(), doorbell.connect(), producer.connect()]);
doorbell.on('notification', ring);
await doorbell.query('LISTEN eventline_outbox');
ring();

const server = createServer((req, res) => {
  res.writeHead(req.url === '/ready' ? 200 : 404).end();
});
server.listen(Number(setting('FLOOR_PORT')), '127.0.0.1');

const stop = () => {
  server.close();
  void Promise.all([sweeping, producer.disconnect(), database.end(), doorbell.end()]).finally(() =>
    process.exit(0),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
