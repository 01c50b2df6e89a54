import { type CircuitBreakerPolicy, CircuitState, isBrokenCircuitError } from 'cockatiel';
import type { NetworkTimeouts } from '../platform/config/index.ts';
import type { ReadinessCheck } from '../platform/health/index.ts';
import { connectKafka } from './kafka-client.ts';
import type { KafkaConnection } from './kafka-connection.ts';
import { type RegistryConnection, registryRequest } from './registry-connection.ts';

/**
 * Runs a readiness probe. With the breaker closed the probe only reports. With it
 * open, the breaker's verdict from real traffic stands until its half-open delay
 * has passed; then the probe is the trial call, so a breaker opened in an outage
 * closes again once the dependency answers, even when no traffic comes to try it
 * (an idle projector would otherwise say degraded for ever).
 */
async function probe(breaker: CircuitBreakerPolicy | undefined, check: () => Promise<void>): Promise<void> {
  if (!breaker || breaker.state === CircuitState.Closed) return check();
  try {
    await breaker.execute(check);
  } catch (error) {
    if (isBrokenCircuitError(error)) throw new Error('circuit breaker not closed: recent calls failed');
    throw error;
  }
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
    check: () =>
      probe(options.breaker, async () => {
        await admin.connect();
        const { brokers } = await admin.describeCluster();
        if (brokers.length === 0) throw new Error('no broker in the cluster metadata');
      }),
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
    check: (signal) =>
      probe(breaker, async () => {
        const { status } = await registryRequest(connection, '/config', { signal });
        if (status === 401 || status === 403)
          throw new Error(
            `authentication failed: GET /config answered ${status} (check the registry's credentials)`,
          );
        if (status < 200 || status >= 300) throw new Error(`GET /config answered ${status}`);
      }),
  };
}
