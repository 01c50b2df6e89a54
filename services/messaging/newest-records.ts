import type { Kafka } from 'kafkajs';

/** The last record of one partition, with its headers as strings. */
export interface NewestRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The last record of every non-empty partition of the topics that exist, read
 * by a throw-away consumer group (`groupId`, unique; under the installation's
 * prefix, so ACLs on prefixed groups allow it) that is deleted after. Empty
 * partitions and missing topics give nothing: there is nothing in them to compare.
 */
export async function newestRecords(
  kafka: Kafka,
  topics: readonly string[],
  options: { readonly groupId: string; readonly timeoutMs: number },
): Promise<NewestRecord[]> {
  const { groupId, timeoutMs } = options;
  const admin = kafka.admin();
  await admin.connect();
  let joined = false;
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = new Map<string, { topic: string; partition: number; offset: bigint }>();
    for (const topic of topics.filter((name) => existing.has(name))) {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(high) > BigInt(low)) {
          wanted.set(`${topic}/${partition}`, { topic, partition, offset: BigInt(high) - 1n });
        }
      }
    }
    if (wanted.size === 0) return [];
    const found: NewestRecord[] = [];
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    await consumer.connect();
    joined = true;
    try {
      let done: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const remaining = new Map(wanted);
      // From the beginning, should a seek come before the partition is assigned: slower, still right.
      await consumer.subscribe({
        topics: [...new Set([...wanted.values()].map(({ topic }) => topic))],
        fromBeginning: true,
      });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          const key = `${topic}/${partition}`;
          if (remaining.get(key)?.offset !== BigInt(message.offset)) return;
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(message.headers ?? {})) {
            if (value !== undefined) headers[name] = String(value);
          }
          found.push({ topic, partition, offset: message.offset, headers });
          remaining.delete(key);
          if (remaining.size === 0) done();
        },
      });
      for (const { topic, partition, offset } of wanted.values()) {
        consumer.seek({ topic, partition, offset: String(offset) });
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `reading the newest record of ${remaining.size} partitions took over ${timeoutMs} ms`,
              ),
            ),
          timeoutMs,
        );
      });
      await Promise.race([finished, timedOut]).finally(() => clearTimeout(timer));
    } finally {
      await consumer.disconnect();
    }
    return found.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  } finally {
    if (joined) await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
