import type { Admin } from 'kafkajs';

export interface TopicPartitionView {
  readonly partition: number;
  /** The oldest offset retention kept. */
  readonly startOffset: number;
  /** The offset the next record published gets. */
  readonly endOffset: number;
}

export interface TopicView {
  readonly topic: string;
  /** Records the topic holds now, over its partitions. */
  readonly messages: number;
  readonly partitions: readonly TopicPartitionView[];
}

export interface GroupPartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly committedOffset: number;
  readonly endOffset: number;
  readonly lag: number;
}

export interface ConsumerGroupView {
  readonly group: string;
  /** As the group coordinator says: Stable, Empty, PreparingRebalance, … */
  readonly state: string;
  readonly members: number;
  readonly lag: number;
  /** The partitions it committed an offset of. */
  readonly partitions: readonly GroupPartitionLag[];
}

/**
 * The cluster as the admin console and API see it, within this deployment's
 * KAFKA_TOPIC_PREFIX (topics and groups both carry it; with no prefix, all
 * but Kafka's internal topics): each topic's partitions with their offsets,
 * and each consumer group's committed offsets against them. The projector
 * commits its offsets to Kafka after its checkpoints for exactly such tools.
 */
export class KafkaOperations {
  private connected: Promise<void> | undefined;

  constructor(
    private readonly admin: Admin,
    private readonly prefix: string,
  ) {}

  private async ready(): Promise<Admin> {
    this.connected ??= this.admin.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    await this.connected;
    return this.admin;
  }

  private ours(name: string): boolean {
    return this.prefix === '' ? !name.startsWith('__') : name.startsWith(this.prefix);
  }

  async topics(): Promise<{ prefix: string; topics: TopicView[] }> {
    const admin = await this.ready();
    const names = (await admin.listTopics()).filter((name) => this.ours(name)).sort();
    const topics = await Promise.all(
      names.map(async (topic) => {
        const partitions = (await admin.fetchTopicOffsets(topic))
          .map((offsets) => ({
            partition: offsets.partition,
            startOffset: Number(offsets.low),
            endOffset: Number(offsets.high),
          }))
          .sort((a, b) => a.partition - b.partition);
        return {
          topic,
          messages: partitions.reduce((sum, each) => sum + each.endOffset - each.startOffset, 0),
          partitions,
        };
      }),
    );
    return { prefix: this.prefix, topics };
  }

  async consumerGroups(): Promise<{ prefix: string; groups: ConsumerGroupView[] }> {
    const admin = await this.ready();
    const { groups: listed } = await admin.listGroups();
    const ids = listed
      .map((group) => group.groupId)
      .filter((id) => this.ours(id))
      .sort();
    if (ids.length === 0) return { prefix: this.prefix, groups: [] };
    const [{ groups: described }, { topics }] = await Promise.all([admin.describeGroups(ids), this.topics()]);
    const ends = new Map(
      topics.flatMap((topic) =>
        topic.partitions.map((each) => [`${topic.topic}/${each.partition}`, each.endOffset] as const),
      ),
    );
    const groups = await Promise.all(
      ids.map(async (group) => {
        const committed = await admin.fetchOffsets({
          groupId: group,
          topics: topics.map((topic) => topic.topic),
        });
        const partitions = committed
          .flatMap(({ topic, partitions: its }) =>
            its
              // -1: nothing committed for that partition.
              .filter((each) => Number(each.offset) >= 0)
              .map((each) => {
                const committedOffset = Number(each.offset);
                const endOffset = ends.get(`${topic}/${each.partition}`) ?? committedOffset;
                return {
                  topic,
                  partition: each.partition,
                  committedOffset,
                  endOffset,
                  lag: Math.max(0, endOffset - committedOffset),
                };
              }),
          )
          .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
        const description = described.find((each) => each.groupId === group);
        return {
          group,
          state: description?.state ?? 'Unknown',
          members: description?.members.length ?? 0,
          lag: partitions.reduce((sum, each) => sum + each.lag, 0),
          partitions,
        };
      }),
    );
    return { prefix: this.prefix, groups };
  }

  async close(): Promise<void> {
    if (this.connected) await this.admin.disconnect();
  }
}
