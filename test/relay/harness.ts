/**
 * What the relay's tests share: a relay as a real child process (dist/), the
 * topology applied under a test's own prefix, an independent kafkajs consumer
 * that records everything it reads, and the partition the Java client computes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { type Consumer, Kafka, logLevel, Partitioners } from 'kafkajs';
import pg from 'pg';
import { applyTopology, loadTopology } from '../../services/messaging/index.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { rememberTopicPrefix } from '../support/test-topics.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/wait.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RELAY_MAIN = join(ROOT, 'dist', 'services', 'relay', 'main.js');

export function kafkaAt(brokers: readonly string[]): Kafka {
  return new Kafka({ brokers: [...brokers], clientId: uniqueName('relay-test'), logLevel: logLevel.NOTHING });
}

/**
 * Creates the topology's topics under the prefix, deleted after the run;
 * returns the partitions of each event topic.
 */
export async function applyTestTopology(
  prefix: string,
  brokers: readonly string[],
): Promise<Map<string, number>> {
  const topology = await loadTopology(prefix);
  rememberTopicPrefix(prefix);
  const admin = kafkaAt(brokers).admin();
  await admin.connect();
  try {
    await applyTopology(admin, topology);
  } finally {
    await admin.disconnect();
  }
  return new Map([...topology.eventTopics.values()].map((spec) => [spec.topic, spec.partitions]));
}

export interface ReceivedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/** An independent consumer (its own group) reading the topics from the beginning. */
export async function recordTopics(brokers: readonly string[], topics: readonly string[]) {
  const received: ReceivedRecord[] = [];
  const consumer: Consumer = kafkaAt(brokers).consumer({ groupId: uniqueName('relay-test-group') });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
      received.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8') ?? '',
        value: message.value ?? Buffer.alloc(0),
        headers,
      });
    },
  });
  return {
    received,
    /** The distinct event ids received so far. */
    eventIds: () => new Set(received.map((record) => record.headers['event-id'])),
    stop: () => consumer.disconnect(),
  };
}

/** The partition kafkajs' DefaultPartitioner (Java-compatible murmur2) gives a key. */
export function javaPartition(topic: string, key: string, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  return partitioner({
    topic,
    partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 1,
      replicas: [1],
      isr: [1],
      partitionErrorCode: 0,
    })),
    message: { key, value: null },
  });
}

export function registry(): SchemaRegistry {
  return new SchemaRegistry({ host: endpoints().schemaRegistryUrl });
}

export interface RelayProcess {
  readonly port: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Starts `node dist/services/relay/main.js` as the relay's own role; resolves once it serves /health. */
export async function startRelayProcess(options: {
  relayUrl: string;
  prefix: string;
  brokers?: readonly string[];
}): Promise<RelayProcess> {
  if (!existsSync(RELAY_MAIN))
    throw new Error(`${RELAY_MAIN} is missing: build first (npx tsc -p tsconfig.build.json)`);
  const port = await freePort();
  const child = spawn(process.execPath, [RELAY_MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: options.relayUrl,
      KAFKA_BROKERS: (options.brokers ?? endpoints().kafkaBrokers).join(','),
      SCHEMA_REGISTRY_URL: endpoints().schemaRegistryUrl,
      KAFKA_TOPIC_PREFIX: options.prefix,
      RELAY_PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.RELAY_TEST_LOG_LEVEL ?? 'silent',
    },
    stdio: ['ignore', process.env.RELAY_TEST_LOG_LEVEL ? 'inherit' : 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(
    `the relay on port ${port}`,
    async () => ((await fetch(`http://127.0.0.1:${port}/health`)).ok ? true : undefined),
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  return {
    port,
    child,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Runs a query as the database's owner (what tests inspect that services cannot see). */
export async function asOwner<Row extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Deletes the subjects a test registered under its prefix (soft, then permanently). */
export async function deleteSubjects(prefix: string): Promise<void> {
  const base = endpoints().schemaRegistryUrl;
  const subjects = (await (await fetch(`${base}/subjects`)).json()) as string[];
  for (const subject of subjects.filter((name) => name.startsWith(prefix))) {
    const url = `${base}/subjects/${encodeURIComponent(subject)}`;
    await fetch(url, { method: 'DELETE' });
    await fetch(`${url}?permanent=true`, { method: 'DELETE' });
  }
}
