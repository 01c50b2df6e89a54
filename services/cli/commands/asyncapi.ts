import { eventExamples } from '../../domain/event-examples.ts';
import { asyncApiDocument, loadAsyncApiSources, renderAsyncApi } from '../../messaging/index.ts';
import { env, loadConfig } from '../../platform/config/index.ts';
import { type CommandSpec, UsageError } from '../command-line.ts';

export const asyncApiCommands: readonly CommandSpec[] = [
  {
    path: ['asyncapi'],
    summary:
      "Prints the AsyncAPI 3.0 document of this installation's topics (KAFKA_TOPIC_PREFIX applied). " +
      'Without a prefix it is docs/asyncapi.yaml.',
    options: {
      format: { type: 'string', value: '<yaml|json>', description: 'the output format (default yaml)' },
    },
    environment: ['KAFKA_TOPIC_PREFIX'],
    async run({ options }) {
      const format = options.format ?? 'yaml';
      if (format !== 'yaml' && format !== 'json')
        throw new UsageError(`--format is yaml or json, not "${String(format)}"`);
      const { KAFKA_TOPIC_PREFIX } = loadConfig({ KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX });
      const sources = await loadAsyncApiSources(KAFKA_TOPIC_PREFIX, eventExamples);
      process.stdout.write(renderAsyncApi(asyncApiDocument(sources), format));
    },
  },
];
