import { env } from './env.ts';
import { loadConfig } from './load-config.ts';

/** The deadline of every network call a service makes, besides Redis' own (REDIS_TIMEOUT_MS). */
export interface NetworkTimeouts {
  readonly databaseStatementMs: number;
  readonly databaseConnectMs: number;
  readonly kafkaConnectMs: number;
  readonly kafkaRequestMs: number;
  readonly registryMs: number;
}

const networkTimeoutsEnv = {
  DB_STATEMENT_TIMEOUT_MS: env.DB_STATEMENT_TIMEOUT_MS,
  DB_CONNECT_TIMEOUT_MS: env.DB_CONNECT_TIMEOUT_MS,
  KAFKA_CONNECT_TIMEOUT_MS: env.KAFKA_CONNECT_TIMEOUT_MS,
  KAFKA_REQUEST_TIMEOUT_MS: env.KAFKA_REQUEST_TIMEOUT_MS,
  SCHEMA_REGISTRY_TIMEOUT_MS: env.SCHEMA_REGISTRY_TIMEOUT_MS,
};

/** The timeouts the environment sets (docs/contracts.md §2 defaults for the rest); throws ConfigError on a bad one. */
export function networkTimeouts(source: NodeJS.ProcessEnv = process.env): NetworkTimeouts {
  const config = loadConfig(networkTimeoutsEnv, source);
  return {
    databaseStatementMs: config.DB_STATEMENT_TIMEOUT_MS,
    databaseConnectMs: config.DB_CONNECT_TIMEOUT_MS,
    kafkaConnectMs: config.KAFKA_CONNECT_TIMEOUT_MS,
    kafkaRequestMs: config.KAFKA_REQUEST_TIMEOUT_MS,
    registryMs: config.SCHEMA_REGISTRY_TIMEOUT_MS,
  };
}

/** The defaults, for what is started without an environment of its own (tests, tools). */
export const DEFAULT_NETWORK_TIMEOUTS: NetworkTimeouts = networkTimeouts({});
