/**
 * Finds the real components for the integration tests, in this order:
 * 1. the endpoints in the environment, when all are set;
 * 2. containers, when a Docker engine answers;
 * 3. the local stack, brought up by the same scripts as `make up`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import {
  GenericContainer,
  getContainerRuntimeClient,
  Network,
  RandomPortGenerator,
  type StartedTestContainer,
  Wait,
} from 'testcontainers';

// jest loads this file outside its module system, where relative .ts imports do
// not resolve: it stays self-contained, and tests import IMAGES from here.

export const IMAGES = {
  postgres: 'postgres:15-alpine',
  redis: 'redis:7-alpine',
  kafka: 'apache/kafka:4.4.0',
  registry: 'apicurio/apicurio-registry:3.3.3',
} as const;

const ADMIN_PW = 'eventline_admin';
const APP_PW = 'eventline_app';
const RELAY_PW = 'eventline_relay_app';
const PROJECTOR_PW = 'eventline_projector_app';

export interface StartedContainers {
  env: Record<string, string>;
  network: string;
  containers: StartedTestContainer[];
}

export async function startContainers(provisionSqlPath: string): Promise<StartedContainers> {
  const network = await new Network().start();
  const postgres = await new GenericContainer(IMAGES.postgres)
    .withNetwork(network)
    .withNetworkAliases('postgres')
    .withEnvironment({ POSTGRES_PASSWORD: 'postgres' })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  await postgres.copyContentToContainer([
    { content: await readFile(provisionSqlPath, 'utf8'), target: '/tmp/provision.sql' },
  ]);
  const provisioned = await postgres.exec([
    'psql',
    '-U',
    'postgres',
    '-v',
    'ON_ERROR_STOP=1',
    '-v',
    `admin_pw=${ADMIN_PW}`,
    '-v',
    `app_pw=${APP_PW}`,
    '-v',
    `relay_pw=${RELAY_PW}`,
    '-v',
    `projector_pw=${PROJECTOR_PW}`,
    '-f',
    '/tmp/provision.sql',
  ]);
  if (provisioned.exitCode !== 0) throw new Error(`provisioning PostgreSQL failed: ${provisioned.output}`);

  const kafkaPort = await new RandomPortGenerator().generatePort();
  const [redis, kafka, registry] = await Promise.all([
    new GenericContainer(IMAGES.redis).withExposedPorts(6379).start(),
    new GenericContainer(IMAGES.kafka)
      .withExposedPorts({ container: 9092, host: kafkaPort })
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started|Transitioning from RECOVERY to RUNNING/))
      .start(),
    new GenericContainer(IMAGES.registry)
      .withNetwork(network)
      .withEnvironment({
        APICURIO_STORAGE_KIND: 'sql',
        APICURIO_STORAGE_SQL_KIND: 'postgresql',
        APICURIO_DATASOURCE_URL: 'jdbc:postgresql://postgres:5432/eventline_registry',
        APICURIO_DATASOURCE_USERNAME: 'eventline_admin',
        APICURIO_DATASOURCE_PASSWORD: ADMIN_PW,
        APICURIO_RULES_GLOBAL_COMPATIBILITY: 'BACKWARD',
      })
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
      .start(),
  ]);

  const pg = `${postgres.getHost()}:${postgres.getMappedPort(5432)}`;
  return {
    network: network.getName(),
    containers: [registry, kafka, redis, postgres],
    env: {
      DATABASE_URL: `postgres://eventline_app:${APP_PW}@${pg}/eventline`,
      ADMIN_DATABASE_URL: `postgres://eventline_admin:${ADMIN_PW}@${pg}/eventline`,
      RELAY_DATABASE_URL: `postgres://eventline_relay_app:${RELAY_PW}@${pg}/eventline`,
      PROJECTOR_DATABASE_URL: `postgres://eventline_projector_app:${PROJECTOR_PW}@${pg}/eventline`,
      KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
      SCHEMA_REGISTRY_URL: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
      REDIS_URL: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
    },
  };
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const KEYS = [
  'DATABASE_URL',
  'ADMIN_DATABASE_URL',
  'KAFKA_BROKERS',
  'SCHEMA_REGISTRY_URL',
  'REDIS_URL',
  'PROJECTOR_DATABASE_URL',
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
  // Where the workers list the prefixes of the topics they create (test/support/test-topics.ts).
  process.env.EVENTLINE_TEST_TOPIC_PREFIXES = mkdtempSync(join(tmpdir(), 'eventline-test-topics-'));
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
