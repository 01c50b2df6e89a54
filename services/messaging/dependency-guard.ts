import {
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';

/** How dashboards read a breaker: 0 closed, 1 half-open, 2 open (CONTRACTS' metric convention). */
export type BreakerReading = 0 | 1 | 2;

function reading(state: CircuitState): BreakerReading {
  if (state === CircuitState.Closed) return 0;
  if (state === CircuitState.HalfOpen) return 1;
  return 2;
}

/**
 * A circuit breaker in front of one dependency (Kafka, the registry): after a
 * few consecutive failures calls fail fast, and it lets one trial call through
 * after a pause that doubles while the dependency stays down (capped at 10 s).
 * Failures that say nothing about the dependency's health (a schema it refuses)
 * pass through without counting.
 */
export function guardDependency(options: {
  readonly counts?: (error: Error) => boolean;
  readonly onStateChange?: (reading: BreakerReading) => void;
  readonly consecutiveFailures?: number;
}): CircuitBreakerPolicy {
  const breaker = circuitBreaker(
    handleWhen((error) => options.counts?.(error) ?? true),
    {
      halfOpenAfter: new ExponentialBackoff({ initialDelay: 1_000, maxDelay: 10_000 }),
      breaker: new ConsecutiveBreaker(options.consecutiveFailures ?? 3),
    },
  );
  breaker.onStateChange((state) => options.onStateChange?.(reading(state)));
  return breaker;
}

export function breakerReading(breaker: CircuitBreakerPolicy): BreakerReading {
  return reading(breaker.state);
}
