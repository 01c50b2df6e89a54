import { type CircuitBreakerPolicy, CircuitState } from 'cockatiel';
import type { NetworkTimeouts } from '../platform/config/index.ts';
import type { ReadinessCheck } from '../platform/health/index.ts';
import { connectKafka } from './kafka-client.ts';
import type { KafkaConnection } from './kafka-connection.ts';
import { type RegistryConnection, registryRequest } from './registry-connection.ts';

function unlessOpen(breaker: CircuitBreakerPolicy | undefined): void {
  // An open breaker is the service's own verdict from real traffic: report it without probing.
  if (breaker && breaker.state !== CircuitState.Closed)
    throw new Error('circuit breaker not closed: recent calls failed');
}

/**
 * Kafka answers a metadata request, asked by an admin client of the check's
 * own (no retries: a probe reports, it does not wait). Non-essential: without
 * Kafka work waits, nothing is lost.
 */
export function kafkaReadiness(options: {
  readonly connection: KafkaConnection;
  /** The probe's client id, e.g. eventline-relay-probe. */
  readonly clientId: string;
  readonly timeouts: NetworkTimeouts;
  readonly breaker?: CircuitBreakerPolicy;
}): ReadinessCheck {
  const admin = connectKafka({
    connection: options.connection,
    clientId: options.clientId,
    connectionTimeout: options.timeouts.kafkaConnectMs,
    requestTimeout: options.timeouts.kafkaRequestMs,
    retry: { retries: 0 },
  }).admin();
  return {
    name: 'kafka',
    essential: false,
    async check() {
      unlessOpen(options.breaker);
      await admin.connect();
      const { brokers } = await admin.describeCluster();
      if (brokers.length === 0) throw new Error('no broker in the cluster metadata');
    },
    close: () => admin.disconnect(),
  };
}

/** The schema registry answers its Confluent API. Non-essential, as Kafka. */
export function registryReadiness(
  connection: RegistryConnection,
  breaker?: CircuitBreakerPolicy,
): ReadinessCheck {
  return {
    name: 'schema-registry',
    essential: false,
    async check(signal) {
      unlessOpen(breaker);
      const { status } = await registryRequest(connection, '/config', { signal });
      if (status === 401 || status === 403)
        throw new Error(
          `authentication failed: GET /config answered ${status} (check the registry's credentials)`,
        );
      if (status < 200 || status >= 300) throw new Error(`GET /config answered ${status}`);
    },
  };
}
