import type { EventSchemas } from '../../avro/index.ts';
import { PostgresEventStore, Upcasters } from '../../eventstore/index.ts';
import {
  connectKafka,
  kafkaConnection,
  type KafkaSettings,
  loadTopology,
  registryConnection,
  type RegistrySettings,
  schemaRegistry,
} from '../../messaging/index.ts';
import { EventDecoder } from '../../projector/index.ts';
import type { NetworkTimeouts } from '../../platform/config/index.ts';
import { openDatabase } from '../../platform/database/index.ts';
import type { Logger } from '../../platform/telemetry/index.ts';
import { DeadLetterOperations } from './dead-letter-operations.ts';
import { KafkaOperations } from './kafka-operations.ts';
import { ProjectionOperations } from './projection-operations.ts';
import { RelayOperations } from './relay-operations.ts';

// A rebuild page or a consistency check may take long on a big event store, as the CLI allows.
const OWNER_STATEMENT_TIMEOUT_MS = 6 * 3_600_000;
/** As the projector's default: behind and nothing applied for a minute is stalled. */
const STALL_AFTER_MS = 60_000;

export interface Operations {
  readonly projections: ProjectionOperations;
  readonly deadLetters: DeadLetterOperations;
  readonly relay: RelayOperations;
  readonly kafka: KafkaOperations;
}

/**
 * The projection, dead-letter, relay and Kafka operations, when this gateway is given the schema owner's
 * database (OPERATIONS_DATABASE_URL): a deployment can keep it to a gateway that
 * only operators reach, and give its public gateways none.
 */
export async function composeOperations(
  config: KafkaSettings &
    RegistrySettings & {
      readonly OPERATIONS_DATABASE_URL?: string | undefined;
      readonly KAFKA_TOPIC_PREFIX: string;
    },
  schemas: EventSchemas,
  timeouts: NetworkTimeouts,
  log: Logger,
): Promise<Operations | undefined> {
  if (!config.OPERATIONS_DATABASE_URL) return undefined;
  const pool = await openDatabase(config.OPERATIONS_DATABASE_URL, {
    maximumPoolSize: 3,
    statementTimeoutMs: OWNER_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: timeouts.databaseConnectMs,
  });
  const kafka = connectKafka({
    connection: kafkaConnection(config, timeouts.kafkaRequestMs),
    clientId: 'eventline-gateway-operations',
    log,
    connectionTimeout: timeouts.kafkaConnectMs,
    requestTimeout: timeouts.kafkaRequestMs,
  });
  const events = new PostgresEventStore(pool, schemas, new Upcasters());
  const projections = new ProjectionOperations({
    pool,
    events,
    admin: kafka.admin(),
    topology: await loadTopology(config.KAFKA_TOPIC_PREFIX),
    log,
    stallAfterMs: STALL_AFTER_MS,
    onClose: () => pool.end(),
  });
  const decoder = new EventDecoder(
    schemaRegistry(registryConnection(config), timeouts.registryMs),
    schemas,
    new Upcasters(),
  );
  return {
    projections,
    deadLetters: new DeadLetterOperations({ pool, events, kafka, decoder }),
    relay: new RelayOperations(pool),
    kafka: new KafkaOperations(kafka.admin(), config.KAFKA_TOPIC_PREFIX),
  };
}
