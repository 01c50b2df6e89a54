import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventSchemas } from '../avro/index.ts';
import { projectRoot } from '../platform/paths/index.ts';
import type { AsyncApiExample, AsyncApiSources } from './asyncapi-document.ts';
import { loadTopology } from './topology.ts';

/**
 * What the AsyncAPI document of one installation (one KAFKA_TOPIC_PREFIX) is made
 * of: topology/topology.json, schemas/, and the release from package.json. The
 * examples come from the caller, which may know the domain (messaging does not).
 */
export async function loadAsyncApiSources(
  prefix: string,
  examples: readonly AsyncApiExample[],
): Promise<AsyncApiSources> {
  const [topology, schemas, manifest] = await Promise.all([
    loadTopology(prefix),
    EventSchemas.load(),
    readFile(join(projectRoot(), 'package.json'), 'utf8'),
  ]);
  const { version } = JSON.parse(manifest) as { version?: unknown };
  if (typeof version !== 'string') throw new Error('package.json has no version');
  return { version, topology, schemas: schemas.all(), examples };
}
