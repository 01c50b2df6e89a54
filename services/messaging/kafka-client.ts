import { Kafka, type KafkaConfig, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '../platform/telemetry/index.ts';
import type { KafkaConnection } from './kafka-connection.ts';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * The one way a process reaches Kafka, over the connection's TLS and SASL.
 * kafkajs logs through the process's logger, at warn and above only: its info
 * lines repeat every reconnect attempt.
 */
export function connectKafka(
  options: { connection: KafkaConnection; clientId: string; log?: Logger } & Pick<
    KafkaConfig,
    'retry' | 'connectionTimeout' | 'requestTimeout'
  >,
): Kafka {
  const { log, connection } = options;
  return new Kafka({
    clientId: options.clientId,
    brokers: [...connection.brokers],
    ...(connection.ssl ? { ssl: connection.ssl } : {}),
    ...(connection.sasl ? { sasl: connection.sasl } : {}),
    connectionTimeout: options.connectionTimeout ?? 3_000,
    requestTimeout: options.requestTimeout ?? 10_000,
    ...(options.retry ? { retry: options.retry } : {}),
    logLevel: log ? logLevel.WARN : logLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...rest } = entry.log;
      log?.[LEVELS[entry.level] ?? 'info']({ kafka: rest, namespace: entry.namespace }, message);
    },
  });
}
