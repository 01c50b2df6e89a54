import {
  type KafkaConnection,
  kafkaConnection,
  kafkaEnv,
  type RegistryConnection,
  registryConnection,
  registryEnv,
} from '../messaging/index.ts';
import { loadConfig, networkTimeouts } from '../platform/config/index.ts';

/** Kafka as the environment says to reach it (TLS, SASL), with its start-up warnings on stderr. */
export function kafkaFromEnvironment(): KafkaConnection {
  const kafka = kafkaConnection(loadConfig(kafkaEnv), networkTimeouts().kafkaRequestMs);
  for (const warning of kafka.warnings ?? []) console.error(`warning: ${warning}`);
  return kafka;
}

/** The schema registry as the environment says to reach it (TLS, basic or bearer auth). */
export function registryFromEnvironment(): RegistryConnection {
  return registryConnection(loadConfig(registryEnv));
}
