import { CircuitState } from 'cockatiel';
import { Gauge, type Registry } from 'prom-client';

/** The dependencies a breaker guards, as dashboards and alerts name them. */
export type GuardedDependency = 'postgres' | 'read-models' | 'redis' | 'kafka' | 'schema-registry';

/** How dashboards read a breaker (CONTRACTS' metric convention). */
const READINGS: Record<CircuitState, number> = {
  [CircuitState.Closed]: 0,
  [CircuitState.HalfOpen]: 1,
  [CircuitState.Open]: 2,
  [CircuitState.Isolated]: 2,
};

/** circuit_breaker_state{service}: one gauge per process, whichever breaker registers first creates it. */
function breakerGauge(registry: Registry): Gauge<'service'> {
  const existing = registry.getSingleMetric('circuit_breaker_state');
  if (existing) return existing as Gauge<'service'>;
  return new Gauge({
    name: 'circuit_breaker_state',
    help: 'Circuit breaker per dependency: 0 closed, 1 half-open, 2 open',
    labelNames: ['service'],
    registers: [registry],
  });
}

/**
 * The series of one breaker, closed from the start (so an alert on it has
 * something to read before the first failure), and the setter its state
 * changes go to.
 */
export function exportBreakerState(
  registry: Registry,
  service: GuardedDependency,
): (state: CircuitState) => void {
  const gauge = breakerGauge(registry);
  gauge.set({ service }, READINGS[CircuitState.Closed]);
  return (state) => gauge.set({ service }, READINGS[state]);
}
