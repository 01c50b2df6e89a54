/**
 * Finds the real components for the integration tests, in this order:
 * 1. the endpoints in the environment, when all are set;
 * 2. containers, when a Docker engine answers;
 * 3. the local stack, brought up by the same scripts as `make up`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getContainerRuntimeClient } from 'testcontainers';
import { startContainers } from './containers.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const KEYS = [
  'DATABASE_URL',
  'ADMIN_DATABASE_URL',
  'KAFKA_BROKERS',
  'SCHEMA_REGISTRY_URL',
  'REDIS_URL',
] as const;

async function dockerAnswers(): Promise<boolean> {
  if (process.env.EVENTLINE_TEST_STACK === 'local') return false;
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

function localStack(): Record<string, string> {
  execFileSync('bash', [join(ROOT, 'scripts/stack/stack.sh'), 'up'], { stdio: 'inherit' });
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, '.run/stack.env'), 'utf8').split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) env[line.slice(0, at)] = line.slice(at + 1);
  }
  return env;
}

export default async function globalSetup(): Promise<void> {
  if (KEYS.every((key) => process.env[key])) return;
  let env: Record<string, string>;
  if (await dockerAnswers()) {
    const started = await startContainers(join(ROOT, 'scripts/stack/provision.sql'));
    (globalThis as { __eventlineContainers?: unknown }).__eventlineContainers = started.containers;
    env = { ...started.env, EVENTLINE_TEST_STACK: 'containers', EVENTLINE_TEST_NETWORK: started.network };
  } else {
    env = { ...localStack(), EVENTLINE_TEST_STACK: 'local' };
  }
  for (const key of KEYS) {
    if (!env[key]) throw new Error(`the test stack did not provide ${key}`);
  }
  Object.assign(process.env, env);
}
