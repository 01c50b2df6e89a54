import type { TenantQuota } from '../domain/tenants/index.ts';
import { ValidationError } from '../platform/errors/index.ts';

/** The part of a tenant's quota that sizes its command bucket. */
export type CommandRate = Pick<TenantQuota, 'commandsPerMinute' | 'maxBurst'>;

/** A bucket as last written: its tokens at the instant `at` (ms on the clock that decides). */
export interface BucketState {
  readonly tokens: number;
  readonly at: number;
}

export interface BucketOutcome {
  readonly state: BucketState;
  readonly allowed: boolean;
  readonly retryAfterMs: number;
  readonly remaining: number;
}

/** Tokens a bucket regains per millisecond. */
export function refillPerMs(quota: CommandRate): number {
  return quota.commandsPerMinute / 60_000;
}

/** ms for an empty bucket to fill up; its state may be forgotten after that, as a missing bucket counts as full. */
export function fullRefillMs(quota: CommandRate): number {
  return Math.ceil(quota.maxBurst / refillPerMs(quota));
}

/**
 * Refuses what no bucket could ever grant, before anything is taken. A batch
 * larger than the burst is the caller's to split: a 429 would have it retry forever.
 */
export function checkTake(quota: CommandRate, cost: number): void {
  const usable =
    Number.isFinite(quota.commandsPerMinute) &&
    quota.commandsPerMinute > 0 &&
    Number.isFinite(quota.maxBurst) &&
    quota.maxBurst >= 1;
  if (!usable) throw new RangeError(`not a usable tenant quota: ${JSON.stringify(quota)}`);
  if (!Number.isInteger(cost) || cost < 1)
    throw new RangeError(`a take costs a whole number ≥ 1, not ${cost}`);
  if (cost > quota.maxBurst) {
    throw new ValidationError(`a batch of ${cost} commands exceeds the tenant's burst of ${quota.maxBurst}`);
  }
}

/**
 * The token-bucket rule: capacity maxBurst, refilled continuously at
 * commandsPerMinute / 60 per second, a missing bucket counts as full. The Lua
 * script in command-bucket-script.ts is this same rule, run inside Redis; keep them alike.
 * The capacity and rate are read on every take, so a changed quota applies at once.
 */
export function takeTokens(
  previous: BucketState | undefined,
  quota: CommandRate,
  cost: number,
  now: number,
): BucketOutcome {
  const rate = refillPerMs(quota);
  const available = previous
    ? Math.min(quota.maxBurst, previous.tokens + Math.max(0, now - previous.at) * rate)
    : quota.maxBurst;
  if (available >= cost) {
    const tokens = available - cost;
    return { state: { tokens, at: now }, allowed: true, retryAfterMs: 0, remaining: Math.floor(tokens) };
  }
  return {
    state: { tokens: available, at: now },
    allowed: false,
    retryAfterMs: Math.ceil((cost - available) / rate),
    remaining: Math.floor(available),
  };
}
