import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  type CircuitBreakerPolicy,
  type CircuitState,
  circuitBreaker,
  handleAll,
} from 'cockatiel';
import { DependencyUnavailableError } from '../errors/index.ts';
import { DeadlineMissed, withinDeadline } from '../resilience/index.ts';

export const DEFAULT_REDIS_TIMEOUT_MS = 50;
export const DEFAULT_REDIS_BACKOFF_MS = 1_000;

export interface RedisCircuitOptions {
  readonly timeoutMs?: number;
  readonly backoffMs?: number;
  readonly onFailure?: (error: DependencyUnavailableError) => void;
  /** Each move between closed, open and half-open, for the circuit_breaker_state gauge. */
  readonly onStateChange?: (state: CircuitState) => void;
}

/**
 * Every Redis call (the quotas', the query cache's, the projector's cache
 * generations) goes through one of these: it gets a deadline, and one
 * failure or missed deadline opens the circuit, so Redis is skipped for the
 * backoff and tried again by the first call after it. A dead or slow Redis then
 * costs one deadline per backoff instead of one per command.
 *
 * A call that missed its deadline may still run in Redis later; its tokens are
 * then spent twice (there and locally), which errs towards limiting.
 */
export class RedisCircuit {
  private readonly breaker: CircuitBreakerPolicy;
  private readonly timeoutMs: number;

  constructor(private readonly options: RedisCircuitOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS;
    this.breaker = circuitBreaker(handleAll, {
      halfOpenAfter: options.backoffMs ?? DEFAULT_REDIS_BACKOFF_MS,
      breaker: new ConsecutiveBreaker(1),
    });
    if (options.onStateChange) this.breaker.onStateChange(options.onStateChange);
  }

  /** The call's result, or a DependencyUnavailableError when Redis failed, was too slow or is being skipped. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await this.breaker.execute(() => withinDeadline(call(), this.timeoutMs));
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new DependencyUnavailableError('redis', 'redis is skipped for a moment after a failed call', {
          cause: error,
        });
      }
      const failure = new DependencyUnavailableError(
        'redis',
        error instanceof DeadlineMissed
          ? `redis did not answer within ${this.timeoutMs} ms`
          : `redis failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
      this.report(failure);
      throw failure;
    }
  }

  private report(failure: DependencyUnavailableError): void {
    try {
      this.options.onFailure?.(failure);
    } catch {
      // An observer that throws must not turn a quota decision into an error.
    }
  }
}
