import { boundedContexts } from '../../domain/contexts.ts';
import { applyTopology, connectKafka, loadTopology, TOPOLOGY_FILE } from '../../messaging/index.ts';
import { env, loadConfig } from '../../platform/config/index.ts';
import type { CommandSpec } from '../command-line.ts';
import { kafkaFromEnvironment } from '../connections.ts';

/**
 * `eventline topology apply`: creates the topics topology/topology.json lists
 * and the cluster lacks; reports, without changing them, existing topics whose
 * settings differ. Every bounded context must have its topic.
 */
async function applyTopologyCommand(file: string): Promise<void> {
  const config = loadConfig({ KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX });
  const topology = await loadTopology(config.KAFKA_TOPIC_PREFIX, file);
  const missing = boundedContexts
    .map((decider) => decider.context)
    .filter((context) => !topology.eventTopics.has(context));
  if (missing.length > 0)
    throw new Error(`the topology has no topic for the bounded context ${missing.join(', ')}`);

  const admin = connectKafka({
    connection: kafkaFromEnvironment(),
    clientId: 'eventline-cli',
    retry: { retries: 2 },
  }).admin();
  await admin.connect();
  try {
    const report = await applyTopology(admin, topology);
    for (const topic of report.created) console.log(`created ${topic}`);
    for (const topic of report.unchanged) console.log(`ok ${topic}`);
    for (const difference of report.differences) {
      console.log(
        `differs ${difference.topic}: ${difference.setting} is ${difference.actual}, the topology says ${difference.wanted} (left as it is)`,
      );
    }
    for (const { projection, group } of topology.consumerGroups) {
      console.log(`group ${group} (projection ${projection}): created by the projector when it first joins`);
    }
    console.log(
      `topology: ${report.created.length} created, ${report.unchanged.length} as listed, ` +
        `${new Set(report.differences.map((difference) => difference.topic)).size} differing`,
    );
  } finally {
    await admin.disconnect();
  }
}

export const topologyCommands: readonly CommandSpec[] = [
  {
    path: ['topology', 'apply'],
    summary:
      'Creates the topics the topology lists and the cluster lacks, idempotently. ' +
      'Existing topics whose settings differ are reported, never changed.',
    options: {
      file: {
        type: 'string',
        value: '<topology.json>',
        description: `the topology to apply (default ${TOPOLOGY_FILE})`,
      },
    },
    environment: [
      'KAFKA_BROKERS',
      'KAFKA_TOPIC_PREFIX',
      'KAFKA_SECURITY_PROTOCOL',
      'KAFKA_SSL_*',
      'KAFKA_SASL_*',
      'KAFKA_OAUTH_*',
    ],
    run: ({ options }) =>
      applyTopologyCommand(typeof options.file === 'string' ? options.file : TOPOLOGY_FILE),
  },
];
