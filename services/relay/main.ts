#!/usr/bin/env node
/**
 * The outbox relay: publishes committed events from the outbox to Kafka.
 * Configuration comes from the environment (docs/contracts.md §2); DATABASE_URL is the
 * relay's own role (eventline_relay_app locally), not the services' one.
 */
import { kafkaConnection, kafkaEnv, registryConnection, registryEnv } from '../messaging/index.ts';
import { env } from '../platform/config/index.ts';
import { runService } from '../platform/lifecycle/index.ts';
import { startRelay } from './start-relay.ts';

await runService(
  'relay',
  {
    DATABASE_URL: env.DATABASE_URL,
    ...kafkaEnv,
    ...registryEnv,
    KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX,
    RELAY_PORT: env.RELAY_PORT,
    HOST: env.HOST,
    RELAY_ACCEPT_RESTORE: env.RELAY_ACCEPT_RESTORE,
  },
  async (config, { log, startup, timeouts }) => {
    const kafka = kafkaConnection(config, timeouts.kafkaRequestMs);
    for (const warning of kafka.warnings ?? []) log.warn(warning);
    const running = await startRelay({
      databaseUrl: config.DATABASE_URL,
      kafka,
      schemaRegistry: registryConnection(config),
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      host: config.HOST,
      port: config.RELAY_PORT,
      log,
      startup,
      timeouts,
      acceptRestore: config.RELAY_ACCEPT_RESTORE,
    });
    return [{ name: 'relay', close: () => running.close() }];
  },
);
