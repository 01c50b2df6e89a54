import { eventExamples } from '../../domain/event-examples.ts';
import { asyncApiDocument, loadAsyncApiSources, renderAsyncApi } from '../../messaging/index.ts';
import { env, loadConfig } from '../../platform/config/index.ts';
import { option } from '../options.ts';

const USAGE = 'usage: eventline asyncapi [--format yaml|json]';

/**
 * `eventline asyncapi`: the AsyncAPI 3.0 document of this installation's topics
 * (KAFKA_TOPIC_PREFIX applied) on stdout. Without a prefix it is docs/asyncapi.yaml.
 */
export async function asyncApiCommand(args: readonly string[]): Promise<void> {
  const format = option(args, '--format', USAGE) ?? 'yaml';
  if (format !== 'yaml' && format !== 'json') throw new Error(`--format is yaml or json; ${USAGE}`);
  const rest = args.filter((arg, at) => arg !== '--format' && args[at - 1] !== '--format');
  if (rest.length > 0) throw new Error(`unexpected ${rest.join(' ')}; ${USAGE}`);
  const { KAFKA_TOPIC_PREFIX } = loadConfig({ KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX });
  const sources = await loadAsyncApiSources(KAFKA_TOPIC_PREFIX, eventExamples);
  process.stdout.write(renderAsyncApi(asyncApiDocument(sources), format));
}
