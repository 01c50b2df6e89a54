import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Admin, ConfigResourceTypes } from 'kafkajs';
import { z } from 'zod';
import { projectRoot } from '../platform/paths/index.ts';
import { consumerGroup, deadLetterTopic, eventTopic } from './topic-names.ts';

const name = z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected lower-case letters, digits and "_"');

const topicSettings = z.object({
  partitions: z.number().int().min(1),
  replicationFactor: z.number().int().min(1),
  minInsyncReplicas: z.number().int().min(1),
  /** -1 keeps records forever. */
  retentionMs: z.number().int().min(-1),
  cleanupPolicy: z.enum(['delete', 'compact', 'compact,delete']),
});

const topologyFile = z
  .object({
    topics: z.array(topicSettings.extend({ context: name })).min(1),
    deadLetters: topicSettings,
    projections: z.array(z.object({ name, consumerGroup: z.string().min(1), sources: z.array(name).min(1) })),
  })
  .superRefine((topology, ctx) => {
    const contexts = new Set(topology.topics.map((topic) => topic.context));
    if (contexts.size !== topology.topics.length)
      ctx.addIssue({ code: 'custom', message: 'a context is listed twice' });
    for (const projection of topology.projections) {
      for (const source of projection.sources) {
        if (!contexts.has(source)) {
          ctx.addIssue({
            code: 'custom',
            message: `projection ${projection.name} reads ${source}, which has no topic`,
          });
        }
      }
    }
  });

// kafkajs' ConfigResourceTypes enum is not among the named exports Node's ESM loader sees in its CommonJS build.
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

export type TopologyFile = z.infer<typeof topologyFile>;
export type TopicSettings = z.infer<typeof topicSettings>;

export const TOPOLOGY_FILE = join(projectRoot(), 'topology', 'topology.json');

/** One topic as the cluster should hold it, with the prefix applied. */
export interface TopicSpec extends TopicSettings {
  readonly topic: string;
}

/** The topology with names resolved for one installation (one KAFKA_TOPIC_PREFIX). */
export interface Topology {
  readonly eventTopics: ReadonlyMap<string, TopicSpec>;
  readonly deadLetterTopics: readonly TopicSpec[];
  /** Each projection's consumer group; projections of one topic share one, so its records are fetched once. */
  readonly consumerGroups: readonly { readonly projection: string; readonly group: string }[];
}

export async function loadTopology(prefix: string, file: string = TOPOLOGY_FILE): Promise<Topology> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `cannot read the topology ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const parsed = topologyFile.safeParse(raw);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new Error(`topology ${file}: ${issue?.path.join('.') || 'file'}: ${issue?.message ?? 'invalid'}`);
  }
  const data = parsed.data;
  const eventTopics = new Map(
    data.topics.map(({ context, ...settings }) => [
      context,
      { topic: eventTopic(prefix, context), ...settings },
    ]),
  );
  return {
    eventTopics,
    deadLetterTopics: data.projections.flatMap((projection) =>
      projection.sources.map((source) => ({
        topic: deadLetterTopic(eventTopic(prefix, source), projection.name),
        ...data.deadLetters,
      })),
    ),
    consumerGroups: data.projections.map((projection) => ({
      projection: projection.name,
      group: consumerGroup(prefix, projection.consumerGroup),
    })),
  };
}

/** A setting an existing topic holds other than the topology says. Reported, never changed. */
export interface TopicDifference {
  readonly topic: string;
  readonly setting: string;
  readonly actual: string;
  readonly wanted: string;
}

export interface ApplyReport {
  readonly created: readonly string[];
  readonly unchanged: readonly string[];
  readonly differences: readonly TopicDifference[];
}

function configEntries(spec: TopicSpec): Record<string, string> {
  return {
    'cleanup.policy': spec.cleanupPolicy,
    'retention.ms': String(spec.retentionMs),
    'min.insync.replicas': String(spec.minInsyncReplicas),
  };
}

const LEADER_WAIT_MS = 30_000;
/** What a broker answers about a topic it created a moment ago, before its metadata has caught up. */
const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/** Resolves once every partition of the topics has a leader; fails after LEADER_WAIT_MS. */
export async function leadersElected(admin: Admin, topics: readonly string[]): Promise<void> {
  const giveUpAt = Date.now() + LEADER_WAIT_MS;
  for (let pauseMs = 50; ; pauseMs = Math.min(1_000, pauseMs * 2)) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
      const led = metadata.topics.every(
        (topic) =>
          topic.partitions.length > 0 && topic.partitions.every((partition) => partition.leader >= 0),
      );
      if (led) return;
    } catch (error) {
      const type = (error as { type?: unknown }).type;
      if (typeof type !== 'string' || !NOT_YET.has(type)) throw error;
    }
    if (Date.now() > giveUpAt)
      throw new Error(`no leader for every partition of ${topics.join(', ')} after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

/**
 * Creates the topics the cluster lacks; for those it has, compares partitions,
 * replication and the topic configs, and reports each difference. An existing
 * topic is never altered: repartitioning moves tenants between partitions, which
 * breaks per-tenant order, so that stays an operator's decision.
 */
export async function applyTopology(admin: Admin, topology: Topology): Promise<ApplyReport> {
  const specs = [...topology.eventTopics.values(), ...topology.deadLetterTopics];
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.topic));
  const present = specs.filter((spec) => existing.has(spec.topic));
  if (missing.length > 0) {
    await admin.createTopics({
      // kafkajs' own wait gives up on UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker still answers
      // for a moment after creating the topic (seen on a fresh CI broker): leadersElected waits instead.
      waitForLeaders: false,
      topics: missing.map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.partitions,
        replicationFactor: spec.replicationFactor,
        configEntries: Object.entries(configEntries(spec)).map(([key, value]) => ({ name: key, value })),
      })),
    });
    await leadersElected(
      admin,
      missing.map((spec) => spec.topic),
    );
  }
  const differences: TopicDifference[] = [];
  if (present.length > 0) {
    const metadata = await admin.fetchTopicMetadata({ topics: present.map((spec) => spec.topic) });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((spec) => ({ type: TOPIC_RESOURCE, name: spec.topic })),
    });
    for (const spec of present) {
      const partitions = metadata.topics.find((topic) => topic.name === spec.topic)?.partitions ?? [];
      const compare = (setting: string, actual: string, wanted: string) => {
        if (actual !== wanted) differences.push({ topic: spec.topic, setting, actual, wanted });
      };
      compare('partitions', String(partitions.length), String(spec.partitions));
      compare(
        'replicationFactor',
        String(partitions[0]?.replicas.length ?? 0),
        String(spec.replicationFactor),
      );
      const entries =
        configs.resources.find((resource) => resource.resourceName === spec.topic)?.configEntries ?? [];
      for (const [key, wanted] of Object.entries(configEntries(spec))) {
        compare(key, entries.find((entry) => entry.configName === key)?.configValue ?? '(unset)', wanted);
      }
    }
  }
  const differing = new Set(differences.map((difference) => difference.topic));
  return {
    created: missing.map((spec) => spec.topic),
    unchanged: present.map((spec) => spec.topic).filter((topic) => !differing.has(topic)),
    differences,
  };
}
