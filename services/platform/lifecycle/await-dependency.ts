import { ExponentialBackoff } from 'cockatiel';
import { failureReason } from '../resilience/index.ts';
import type { Logger } from '../telemetry/index.ts';

/** How a starting process waits for a dependency that is not there yet. */
export interface StartupWait {
  readonly log: Logger;
  /** Past this, start-up fails (exit 1) instead of waiting on. */
  readonly timeoutMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Connects to a dependency at start-up, retrying with capped exponential
 * backoff and jitter while it is away, with one log line per wait: a pod
 * started before its database waits for it instead of crash-looping. Without
 * `wait` (tests, tools) the first failure is final.
 */
export async function awaitDependency<T>(
  dependency: string,
  connect: () => Promise<T>,
  wait: StartupWait | undefined,
): Promise<T> {
  if (!wait) return connect();
  const giveUpAt = Date.now() + wait.timeoutMs;
  let backoff = new ExponentialBackoff({ initialDelay: 250, maxDelay: 5_000 }).next();
  for (let attempt = 1; ; attempt++) {
    try {
      const connected = await connect();
      if (attempt > 1) wait.log.info({ dependency, attempt }, `${dependency} reached`);
      return connected;
    } catch (error) {
      const retryInMs = Math.round(backoff.duration);
      const reason = failureReason(error);
      if (Date.now() + retryInMs > giveUpAt) {
        throw new Error(`${dependency} unreachable for ${Math.round(wait.timeoutMs / 1000)} s: ${reason}`, {
          cause: error,
        });
      }
      wait.log.warn({ dependency, attempt, retryInMs, reason }, `waiting for ${dependency}`);
      await sleep(retryInMs);
      backoff = backoff.next(undefined);
    }
  }
}
