/**
 * What a scenario checks once its fault is over and the pipeline has caught up:
 * every acknowledged event is in the store, on Kafka and in the read models
 * (lost = 0); duplicates on Kafka only as identical records (same event id),
 * counted; per tenant, Kafka's order is the store's commit order (the
 * event-cursor header rises strictly along each key once exact re-publishes are
 * dropped) and per aggregate the versions strictly increase; the read models
 * equal a replay (`eventline projections verify`), with no event parked.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { sleep } from '../lib/stack.ts';
import type { Acknowledged } from './load.ts';

/** The projections, and the stream types of the contexts each one reads (topology/topology.json). */
export const PROJECTIONS: Readonly<Record<string, readonly string[]>> = {
  orders: ['Order'],
  customer_order_stats: ['Order'],
  tenant_stats: ['Order'],
  tenants: ['Tenant'],
};

/** The stream type of each bounded context's aggregates (its topic is `<prefix><context>.events`). */
const CONTEXTS: Readonly<Record<string, string>> = { orders: 'Order', tenants: 'Tenant' };

export async function query<Row extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}

interface StoredEvent {
  readonly event_id: string;
  readonly tenant_id: string;
  readonly stream_type: string;
  readonly stream_id: string;
  readonly stream_version: number;
}

/** Every stored event in commit order ((transaction id, position)), as the owner sees them. */
async function storedEvents(adminUrl: string): Promise<StoredEvent[]> {
  return query<StoredEvent>(
    adminUrl,
    `SELECT event_id::text, tenant_id::text, stream_type, stream_id::text, stream_version
       FROM events ORDER BY transaction_id, global_position`,
  );
}

/**
 * Tenants whose events (of the projection's contexts) committed more than
 * `olderThanSeconds` ago are not all applied yet, per projection; plus rows
 * waiting in the outbox longer than that. Zero everywhere: the backlog is drained.
 */
export async function backlog(
  adminUrl: string,
  olderThanSeconds: number,
): Promise<{ outboxRows: number; tenantsBehind: number }> {
  const [outbox] = await query<{ n: number }>(
    adminUrl,
    `SELECT count(*)::int AS n FROM outbox WHERE enqueued_at < now() - make_interval(secs => $1)`,
    [olderThanSeconds],
  );
  let tenantsBehind = 0;
  for (const [projection, types] of Object.entries(PROJECTIONS)) {
    const [behind] = await query<{ n: number }>(
      adminUrl,
      `WITH last AS (
         SELECT DISTINCT ON (tenant_id) tenant_id, transaction_id, global_position
           FROM events WHERE stream_type = ANY($2) AND recorded_at < now() - make_interval(secs => $3)
          ORDER BY tenant_id, transaction_id DESC, global_position DESC)
       SELECT count(*)::int AS n FROM last l
         LEFT JOIN readmodels.watermarks w ON w.projection = $1 AND w.tenant_id = l.tenant_id
        WHERE w.tenant_id IS NULL OR (w.transaction_id, w.global_position) < (l.transaction_id, l.global_position)`,
      [projection, types, olderThanSeconds],
    );
    tenantsBehind += behind?.n ?? 0;
  }
  return { outboxRows: outbox?.n ?? 0, tenantsBehind };
}

/** Waits until nothing is left behind (the outbox empty, every projection caught up); the time it took. */
export async function awaitDrained(adminUrl: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last = { outboxRows: -1, tenantsBehind: -1 };
  while (Date.now() - started < timeoutMs) {
    try {
      last = await backlog(adminUrl, 0);
      if (last.outboxRows === 0 && last.tenantsBehind === 0) return Date.now() - started;
    } catch {
      // PostgreSQL may still be coming back
    }
    await sleep(500);
  }
  throw new Error(
    `not drained within ${timeoutMs} ms: ${last.outboxRows} outbox rows, ${last.tenantsBehind} tenant projections behind`,
  );
}

interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly eventId: string;
  readonly cursor: string;
  readonly aggregateId: string;
  readonly version: number;
  /** sha1 of the value and every header: equal digests, identical records. */
  readonly digest: string;
}

/** Every record of the topics, read from the beginning up to their end offsets now. */
async function readTopics(brokers: readonly string[], topics: readonly string[]): Promise<KafkaRecord[]> {
  const kafka = new Kafka({ brokers: [...brokers], clientId: 'chaos-audit', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, number>();
  try {
    for (const topic of topics) {
      for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
        if (Number(high) > 0) ends.set(`${topic}:${partition}`, Number(high));
      }
    }
  } finally {
    await admin.disconnect();
  }
  const records: KafkaRecord[] = [];
  if (ends.size === 0) return records;
  const consumer = kafka.consumer({ groupId: `chaos-audit-${Date.now().toString(36)}-${Math.random()}` });
  const remaining = new Set(ends.keys());
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
          const hash = createHash('sha1');
          hash.update(message.value ?? Buffer.alloc(0));
          hash.update(JSON.stringify(Object.entries(headers).sort(([a], [b]) => a.localeCompare(b))));
          records.push({
            topic: batch.topic,
            partition: batch.partition,
            offset: Number(message.offset),
            key: message.key?.toString('utf8') ?? '',
            eventId: headers['event-id'] ?? '',
            cursor: headers['event-cursor'] ?? '',
            aggregateId: headers['aggregate-id'] ?? '',
            version: Number(headers['aggregate-version']),
            digest: hash.digest('hex'),
          });
        }
        const end = ends.get(`${batch.topic}:${batch.partition}`) ?? 0;
        if (Number(batch.lastOffset()) >= end - 1) remaining.delete(`${batch.topic}:${batch.partition}`);
        if (remaining.size === 0) done();
      },
    });
    await Promise.race([
      finished,
      sleep(180_000).then(() => {
        throw new Error(`reading the topics back: ${remaining.size} partitions not read to their end`);
      }),
    ]);
  } finally {
    await consumer.disconnect();
  }
  return records;
}

async function verifyProjection(
  adminUrl: string,
  projection: string,
): Promise<{ consistent: boolean; eventsReplayed: number; output: string }> {
  const cli = join(projectRoot(), 'dist', 'services', 'cli', 'main.js');
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [cli, 'projections', 'verify', projection],
      {
        env: { PATH: process.env.PATH ?? '', ADMIN_DATABASE_URL: adminUrl },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const replayed = /(\d+) events replayed/.exec(stdout);
    return {
      consistent: /: consistent$/m.test(stdout),
      eventsReplayed: Number(replayed?.[1] ?? 0),
      output: stdout,
    };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    return {
      consistent: false,
      eventsReplayed: 0,
      output: `${failed.stdout ?? ''}${failed.stderr ?? failed.message}`,
    };
  }
}

export interface Verdict {
  readonly acknowledgedCommands: number;
  readonly acknowledgedEvents: number;
  readonly storedEvents: number;
  /** Stored order events no 2xx named: commands whose answer was lost (a 503 after the commit, a dropped connection). */
  readonly storedUnacknowledged: number;
  readonly lost: {
    readonly total: number;
    /** Acknowledged, not in the store. */
    readonly store: number;
    /** Stored (acknowledged or not), never on Kafka. */
    readonly kafka: number;
    /** Stored, not applied by every projection (past its watermark), parked, or an acknowledged order missing or behind. */
    readonly readModels: number;
  };
  readonly kafkaRecords: number;
  /** Records whose event id an earlier record carried: identical re-publishes. */
  readonly duplicates: number;
  /** Re-publishes that are not identical to the first: must be 0. */
  readonly duplicatesDiffering: number;
  /** Records out of order: cursor not rising along the key, the tenant's sequence not the store's, a version not rising. */
  readonly reordered: number;
  readonly deadLetters: number;
  readonly verify: Readonly<Record<string, { consistent: boolean; eventsReplayed: number }>>;
  /** Human-readable reasons of each non-zero failure figure (a few samples). */
  readonly problems: readonly string[];
}

export async function audit(options: {
  readonly adminUrl: string;
  readonly brokers: readonly string[];
  readonly topics: readonly string[];
  readonly acknowledged: readonly Acknowledged[];
}): Promise<Verdict> {
  const problems: string[] = [];
  const note = (line: string) => {
    if (problems.length < 20) problems.push(line);
  };
  const stored = await storedEvents(options.adminUrl);
  const storedIds = new Set(stored.map((event) => event.event_id));
  const acknowledgedIds = new Set(options.acknowledged.flatMap((ack) => ack.eventIds));

  let lostStore = 0;
  for (const id of acknowledgedIds) {
    if (!storedIds.has(id)) {
      lostStore++;
      note(`acknowledged event ${id} is not in the store`);
    }
  }
  const storedUnacknowledged = stored.filter(
    (event) => event.stream_type === 'Order' && !acknowledgedIds.has(event.event_id),
  ).length;

  const records = await readTopics(options.brokers, options.topics);
  const onKafka = new Set(records.map((record) => record.eventId));
  let lostKafka = 0;
  for (const event of stored) {
    if (!onKafka.has(event.event_id)) {
      lostKafka++;
      note(`stored event ${event.event_id} (${event.stream_type} v${event.stream_version}) is not on Kafka`);
    }
  }

  // Kafka's order along each key (a tenant's records share one partition: offset order).
  let duplicates = 0;
  let duplicatesDiffering = 0;
  let reordered = 0;
  // Per topic and key: a tenant's events of one context share one partition, in commit order.
  const byKey = new Map<string, KafkaRecord[]>();
  for (const record of records) {
    const list = byKey.get(`${record.topic}|${record.key}`) ?? [];
    list.push(record);
    byKey.set(`${record.topic}|${record.key}`, list);
  }
  const firstDigest = new Map<string, string>();
  const publishedOrder = new Map<string, string[]>();
  for (const [key, list] of byKey) {
    if (new Set(list.map((record) => `${record.topic}:${record.partition}`)).size > 1) {
      reordered++;
      note(`tenant ${key}'s records are on more than one partition`);
    }
    list.sort((a, b) => a.offset - b.offset);
    let lastCursor = '';
    const lastVersion = new Map<string, number>();
    const sequence: string[] = [];
    for (const record of list) {
      const seen = firstDigest.get(record.eventId);
      if (seen !== undefined) {
        duplicates++;
        if (seen !== record.digest) {
          duplicatesDiffering++;
          note(
            `event ${record.eventId} re-published with other content at ${record.topic}[${record.partition}]@${record.offset}`,
          );
        }
        continue;
      }
      firstDigest.set(record.eventId, record.digest);
      sequence.push(record.eventId);
      if (record.cursor <= lastCursor) {
        reordered++;
        note(`tenant ${key}: cursor ${record.cursor} after ${lastCursor} at offset ${record.offset}`);
      }
      lastCursor = record.cursor;
      const previous = lastVersion.get(record.aggregateId) ?? 0;
      if (!(record.version > previous)) {
        reordered++;
        note(`aggregate ${record.aggregateId}: version ${record.version} after ${previous}`);
      }
      lastVersion.set(record.aggregateId, record.version);
    }
    publishedOrder.set(key, sequence);
  }
  // The store's commit order per tenant and context, against the order of first publication.
  const topicOf = (streamType: string) => {
    const context = Object.entries(CONTEXTS).find(([, type]) => type === streamType)?.[0];
    return options.topics.find((topic) => topic.endsWith(`${context ?? streamType}.events`)) ?? streamType;
  };
  const committedOrder = new Map<string, string[]>();
  for (const event of stored) {
    const key = `${topicOf(event.stream_type)}|${event.tenant_id}`;
    const list = committedOrder.get(key) ?? [];
    list.push(event.event_id);
    committedOrder.set(key, list);
  }
  for (const [tenant, committed] of committedOrder) {
    const published = (publishedOrder.get(tenant) ?? []).filter((id) => storedIds.has(id));
    const present = committed.filter((id) => onKafka.has(id));
    const differ = present.findIndex((id, i) => published[i] !== id);
    if (differ >= 0 || published.length !== present.length) {
      reordered++;
      note(`tenant ${tenant}: Kafka's order differs from the commit order from event ${differ}`);
    }
  }

  // The read models: every projection caught up on every tenant, nothing parked, every acknowledged order there.
  const behind = await backlog(options.adminUrl, 0);
  let lostReadModels = behind.tenantsBehind;
  if (behind.tenantsBehind > 0) note(`${behind.tenantsBehind} tenant projections are behind the store`);
  const [parked] = await query<{ n: number }>(
    options.adminUrl,
    'SELECT count(*)::int AS n FROM readmodels.dead_letters',
  );
  const deadLetters = parked?.n ?? 0;
  if (deadLetters > 0) {
    note(`${deadLetters} events parked in readmodels.dead_letters`);
    for (const row of await query<{ projection: string; event_type: string; error: string; n: number }>(
      options.adminUrl,
      `SELECT projection, event_type, left(error, 300) AS error, count(*)::int AS n FROM readmodels.dead_letters
        GROUP BY 1, 2, 3 ORDER BY n DESC LIMIT 5`,
    )) {
      note(`  ${row.n} × ${row.projection} ${row.event_type}: ${row.error}`);
    }
  }
  lostReadModels += deadLetters;
  const lastVersionOf = new Map<string, number>();
  for (const event of stored) {
    if (event.stream_type === 'Order') lastVersionOf.set(event.stream_id, event.stream_version);
  }
  const orders = new Map(
    (
      await query<{ order_id: string; version: number }>(
        options.adminUrl,
        'SELECT order_id::text, version FROM readmodels.orders',
      )
    ).map((row) => [row.order_id, row.version]),
  );
  const acknowledgedOrders = new Set(options.acknowledged.map((ack) => ack.aggregateId));
  for (const orderId of acknowledgedOrders) {
    const version = orders.get(orderId);
    if (version === undefined || version !== lastVersionOf.get(orderId)) {
      lostReadModels++;
      note(
        `order ${orderId}: read model at version ${version ?? 'none'}, store at ${lastVersionOf.get(orderId) ?? 'none'}`,
      );
    }
  }

  const verify: Record<string, { consistent: boolean; eventsReplayed: number }> = {};
  for (const projection of Object.keys(PROJECTIONS)) {
    const result = await verifyProjection(options.adminUrl, projection);
    verify[projection] = { consistent: result.consistent, eventsReplayed: result.eventsReplayed };
    if (!result.consistent)
      note(`verify ${projection}: ${result.output.trim().split('\n').slice(-5).join(' / ')}`);
  }

  return {
    acknowledgedCommands: options.acknowledged.length,
    acknowledgedEvents: acknowledgedIds.size,
    storedEvents: stored.length,
    storedUnacknowledged,
    lost: {
      total: lostStore + lostKafka + lostReadModels,
      store: lostStore,
      kafka: lostKafka,
      readModels: lostReadModels,
    },
    kafkaRecords: records.length,
    duplicates,
    duplicatesDiffering,
    reordered,
    deadLetters,
    verify,
    problems,
  };
}
