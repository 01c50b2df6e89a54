import { EventSchemas } from '../../avro/index.ts';
import { checkSchemas, registerSchemas, schemaRegistry } from '../../messaging/index.ts';
import { env, loadConfig } from '../../platform/config/index.ts';
import { registryFromEnvironment } from '../connections.ts';
import { option } from '../options.ts';

const USAGE = 'usage: eventline schemas register|check [--dir <schemas directory>]';

/**
 * `eventline schemas register`: every .avsc of schemas/ under
 * `<topic>-<record full name>`. `eventline schemas check`: registers nothing,
 * fails naming the field when a schema breaks its subject's compatibility.
 */
export async function schemasCommand(args: readonly string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action !== 'register' && action !== 'check') throw new Error(USAGE);
  const config = loadConfig({ KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX });
  const registry = registryFromEnvironment();
  const dir = option(rest, '--dir', USAGE);
  const schemas = dir === undefined ? await EventSchemas.load() : await EventSchemas.load(dir);

  if (action === 'register') {
    const registered = await registerSchemas(schemaRegistry(registry), schemas, config.KAFKA_TOPIC_PREFIX);
    for (const { subject, version, id } of registered)
      console.log(`registered ${subject} (v${version}) id ${id}`);
    console.log(`schemas: ${registered.length} registered`);
    return;
  }

  const verdicts = await checkSchemas(registry, schemas, config.KAFKA_TOPIC_PREFIX);
  for (const verdict of verdicts) console.log(`${verdict.status} ${verdict.file} → ${verdict.subject}`);
  const refused = verdicts.filter((verdict) => verdict.status === 'refused');
  if (refused.length > 0) {
    throw new Error(
      `refused: ${refused.map((verdict) => `${verdict.file}: ${verdict.breaks.join('; ')}`).join(' | ')}`,
    );
  }
  const incompatible = verdicts.filter((verdict) => verdict.status === 'incompatible');
  if (incompatible.length > 0) {
    const reasons = incompatible.map(
      (verdict) => `${verdict.file} breaks ${verdict.subject}: ${verdict.breaks.join('; ')}`,
    );
    throw new Error(`incompatible: ${reasons.join(' | ')}`);
  }
  console.log(`schemas: ${verdicts.length} compatible`);
}
