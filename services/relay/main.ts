#!/usr/bin/env node
/**
 * The outbox relay: publishes committed events from the outbox to Kafka.
 * Configuration comes from the environment (CONTRACTS §2); DATABASE_URL is the
 * relay's own role (eventline_relay_app locally), not the services' one.
 */
import { env, loadConfig } from '../platform/config/index.ts';
import { closeOnSignals } from '../platform/lifecycle/index.ts';
import { createLogger, startTracing } from '../platform/telemetry/index.ts';
import { startRelay } from './start-relay.ts';

let config;
let tracing;
try {
  tracing = await startTracing('relay');
  config = loadConfig({
    DATABASE_URL: env.DATABASE_URL,
    KAFKA_BROKERS: env.KAFKA_BROKERS,
    SCHEMA_REGISTRY_URL: env.SCHEMA_REGISTRY_URL,
    KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX,
    RELAY_PORT: env.RELAY_PORT,
    HOST: env.HOST,
    LOG_LEVEL: env.LOG_LEVEL,
  });
} catch (error) {
  console.error(`eventline relay: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

const log = createLogger('relay', config.LOG_LEVEL);
try {
  const running = await startRelay({
    databaseUrl: config.DATABASE_URL,
    kafkaBrokers: config.KAFKA_BROKERS,
    schemaRegistryUrl: config.SCHEMA_REGISTRY_URL,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    host: config.HOST,
    port: config.RELAY_PORT,
    log,
  });
  closeOnSignals(log, [{ name: 'relay', close: () => running.close() }, tracing]);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  log.fatal({ err: error }, 'relay failed to start');
  console.error(`eventline relay: ${message.split('\n')[0]}`);
  process.exit(1);
}
