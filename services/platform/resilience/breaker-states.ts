import { CircuitState } from 'cockatiel';
import { Gauge, type Registry } from 'prom-client';

/** The dependencies a breaker guards, as dashboards and alerts name them. */
export type GuardedDependency = 'postgres' | 'read-models' | 'redis' | 'kafka' | 'schema-registry';

/** How dashboards and alerts read a breaker: 0 closed, 1 half-open, 2 open (docs/operability.md). */
const READINGS: Record<CircuitState, number> = {
  [CircuitState.Closed]: 0,
  [CircuitState.HalfOpen]: 1,
  [CircuitState.Open]: 2,
  [CircuitState.Isolated]: 2,
};

/**
 * circuit_breaker_state{dependency}: one gauge per process, whichever breaker registers first creates it.
 * The label is not `service`, which Prometheus sets on Kubernetes targets (see createMetricsRegistry).
 */
function breakerGauge(registry: Registry): Gauge<'dependency'> {
  const existing = registry.getSingleMetric('circuit_breaker_state');
  if (existing) return existing as Gauge<'dependency'>;
  return new Gauge({
    name: 'circuit_breaker_state',
    help: 'Circuit breaker per dependency: 0 closed, 1 half-open, 2 open',
    labelNames: ['dependency'],
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
  dependency: GuardedDependency,
): (state: CircuitState) => void {
  const gauge = breakerGauge(registry);
  gauge.set({ dependency }, READINGS[CircuitState.Closed]);
  return (state) => gauge.set({ dependency }, READINGS[state]);
}
