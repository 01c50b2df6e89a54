import {
  circuitBreaker,
  type CircuitBreakerPolicy,
  type CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
} from 'cockatiel';

/**
 * A circuit breaker in front of one dependency (PostgreSQL, Kafka, the
 * registry): after a few consecutive failures calls fail fast, and it lets one
 * trial call through after a pause that doubles while the dependency stays down
 * (capped at 10 s). Failures that say nothing about the dependency's health (a
 * schema it refuses, a constraint a statement breaks) pass through without counting.
 */
export function guardDependency(options: {
  readonly counts?: (error: unknown) => boolean;
  /** Each move between closed, open and half-open: pass exportBreakerState's setter. */
  readonly onStateChange?: (state: CircuitState) => void;
  readonly consecutiveFailures?: number;
}): CircuitBreakerPolicy {
  const breaker = circuitBreaker(
    handleWhen((error) => options.counts?.(error) ?? true),
    {
      halfOpenAfter: new ExponentialBackoff({ initialDelay: 1_000, maxDelay: 10_000 }),
      breaker: new ConsecutiveBreaker(options.consecutiveFailures ?? 3),
    },
  );
  if (options.onStateChange) breaker.onStateChange(options.onStateChange);
  return breaker;
}
