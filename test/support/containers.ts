/**
 * The same components as the local stack, in containers, for machines with a
 * Docker engine. Images are pinned to the versions the local stack runs.
 */
import { readFile } from 'node:fs/promises';
import { GenericContainer, Network, type StartedTestContainer, Wait } from 'testcontainers';
import { freePort } from './ports.ts';

export const IMAGES = {
  postgres: 'postgres:15-alpine',
  redis: 'redis:7-alpine',
  kafka: 'apache/kafka:4.4.0',
  registry: 'apicurio/apicurio-registry:3.3.3',
} as const;

const ADMIN_PW = 'eventline_admin';
const APP_PW = 'eventline_app';

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
    '-f',
    '/tmp/provision.sql',
  ]);
  if (provisioned.exitCode !== 0) throw new Error(`provisioning PostgreSQL failed: ${provisioned.output}`);

  const kafkaPort = await freePort();
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
      KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
      SCHEMA_REGISTRY_URL: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
      REDIS_URL: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
    },
  };
}
