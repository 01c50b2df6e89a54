import { EventSchemas } from '../../avro/index.ts';
import { checkSchemas, registerSchemas, schemaRegistry } from '../../messaging/index.ts';
import { env, loadConfig, networkTimeouts } from '../../platform/config/index.ts';
import type { CommandSpec } from '../command-line.ts';
import { registryFromEnvironment } from '../connections.ts';

const dirOption = {
  dir: {
    type: 'string',
    value: '<directory>',
    description: 'the schemas to use instead of the shipped schemas/',
  },
} as const;

const ENVIRONMENT = [
  'SCHEMA_REGISTRY_URL',
  'SCHEMA_REGISTRY_USERNAME',
  'SCHEMA_REGISTRY_PASSWORD',
  'SCHEMA_REGISTRY_BEARER_TOKEN',
  'SCHEMA_REGISTRY_CA_FILE',
  'SCHEMA_REGISTRY_TIMEOUT_MS',
  'KAFKA_TOPIC_PREFIX',
];

async function schemasIn(dir: string | boolean | undefined): Promise<EventSchemas> {
  return typeof dir === 'string' ? EventSchemas.load(dir) : EventSchemas.load();
}

export const schemasCommands: readonly CommandSpec[] = [
  {
    path: ['schemas', 'register'],
    summary:
      'Registers every schema of schemas/ under <topic>-<record full name>, older versions first. ' +
      'Registering one the registry holds changes nothing; one the registry does not answer is retried.',
    options: dirOption,
    environment: ENVIRONMENT,
    async run({ options }) {
      const { KAFKA_TOPIC_PREFIX } = loadConfig({ KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX });
      const registered = await registerSchemas(
        schemaRegistry(registryFromEnvironment(), networkTimeouts().registryMs),
        await schemasIn(options.dir),
        KAFKA_TOPIC_PREFIX,
        ({ subject, attempt, retryInMs, reason }) =>
          console.error(`${subject}: attempt ${attempt} failed (${reason}); retrying in ${retryInMs} ms`),
      );
      for (const { subject, version, id } of registered)
        console.log(`registered ${subject} (v${version}) id ${id}`);
      console.log(`schemas: ${registered.length} registered`);
    },
  },
  {
    path: ['schemas', 'check'],
    summary:
      'Checks every schema of schemas/ against the registry without registering anything. ' +
      "Fails naming the field when a schema breaks its subject's compatibility, or a rule (a record without fields).",
    options: dirOption,
    environment: ENVIRONMENT,
    async run({ options }) {
      const { KAFKA_TOPIC_PREFIX } = loadConfig({ KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX });
      const verdicts = await checkSchemas(
        registryFromEnvironment(),
        await schemasIn(options.dir),
        KAFKA_TOPIC_PREFIX,
      );
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
    },
  },
];
