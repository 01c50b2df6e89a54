import { type CircuitBreakerPolicy, CircuitState } from 'cockatiel';
import type { Admin } from 'kafkajs';
import type { ReadinessCheck } from '../platform/health/index.ts';
import { type RegistryConnection, registryRequest } from './registry-connection.ts';

function unlessOpen(breaker: CircuitBreakerPolicy | undefined): void {
  // An open breaker is the service's own verdict from real traffic: report it without probing.
  if (breaker && breaker.state !== CircuitState.Closed)
    throw new Error('circuit breaker not closed: recent calls failed');
}

/** Kafka answers a metadata request. Non-essential: without it work waits, nothing is lost. */
export function kafkaReadiness(admin: Admin, breaker?: CircuitBreakerPolicy): ReadinessCheck {
  return {
    name: 'kafka',
    essential: false,
    async check() {
      unlessOpen(breaker);
      const { brokers } = await admin.describeCluster();
      if (brokers.length === 0) throw new Error('no broker in the cluster metadata');
    },
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
