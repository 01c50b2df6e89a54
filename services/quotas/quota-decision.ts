/** The answer to "may this tenant go on?", shaped the same whether Redis or the local fallback gave it. */
export interface QuotaDecision {
  readonly allowed: boolean;
  /** ms until one more command would be allowed; 0 when allowed */
  readonly retryAfterMs: number;
  readonly remaining: number;
  /** true when decided by the local fallback (Redis unreachable) */
  readonly degraded: boolean;
}

/** What CommandQuota and DailyEventQuota share in how they reach Redis. */
export interface QuotaOptions {
  /** Prepended to every key the quota writes; default "eventline:quota:". */
  readonly keyPrefix?: string;
  /** How long a decision waits for Redis before it is made locally; default 50 (REDIS_TIMEOUT_MS). */
  readonly redisTimeoutMs?: number;
  /** After a failed or slow call, how long Redis is skipped before it is tried again; default 1000. */
  readonly redisBackoffMs?: number;
  /**
   * Called with each Redis call that failed or ran out of time, the moment decisions
   * turn local. While Redis stays down that is about once per backoff, so logging
   * every call does not flood; count degraded decisions from QuotaDecision.degraded.
   */
  readonly onFallback?: (error: unknown) => void;
}

export const DEFAULT_KEY_PREFIX = 'eventline:quota:';
