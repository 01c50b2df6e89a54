import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { StartedTestContainer } from 'testcontainers';

/**
 * Deletes the topics the run's tests created, then stops what global-setup
 * started in containers; the local stack stays up for the next run.
 */
export default async function globalTeardown(): Promise<void> {
  await deleteTestTopics().catch((error: unknown) =>
    // Left-over topics cost the next start-up time, not a result: the run's outcome stands.
    console.warn(`test topics were not deleted: ${error instanceof Error ? error.message : String(error)}`),
  );
  const containers =
    (globalThis as { __eventlineContainers?: StartedTestContainer[] }).__eventlineContainers ?? [];
  await Promise.all(containers.map((container) => container.stop()));
}

async function deleteTestTopics(): Promise<void> {
  const directory = process.env.EVENTLINE_TEST_TOPIC_PREFIXES;
  const brokers = process.env.KAFKA_BROKERS;
  if (!directory || !brokers) return;
  const prefixes = readdirSync(directory).flatMap((file) =>
    readFileSync(join(directory, file), 'utf8').split('\n').filter(Boolean),
  );
  rmSync(directory, { recursive: true, force: true });
  if (prefixes.length === 0) return;
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) =>
      prefixes.some((prefix) => topic.startsWith(prefix)),
    );
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}
