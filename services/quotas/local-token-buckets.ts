import type { TenantId } from '../platform/tenancy/index.ts';
import {
  type BucketOutcome,
  type BucketState,
  type CommandRate,
  refillPerMs,
  takeTokens,
} from './token-bucket.ts';

/** How often idle buckets are forgotten, so a replica's memory follows its active tenants. */
const SWEEP_EVERY_MS = 60_000;

interface LocalBucket extends BucketState {
  /** When the bucket will be full again; from then on forgetting it changes nothing. */
  readonly fullAt: number;
}

/**
 * The in-process buckets a replica decides with while Redis is unreachable: the
 * same rule and parameters as the shared ones, but each replica counts alone, so
 * with N replicas a tenant may get up to N times its quota while degraded.
 */
export class LocalTokenBuckets {
  private readonly buckets = new Map<TenantId, LocalBucket>();
  private sweptAt: number;

  /** @param now a monotonic clock in ms; tests pass their own. */
  constructor(private readonly now: () => number = () => performance.now()) {
    this.sweptAt = now();
  }

  take(tenant: TenantId, quota: CommandRate, cost: number): Omit<BucketOutcome, 'state'> {
    const now = this.now();
    this.sweep(now);
    const { state, ...decision } = takeTokens(this.buckets.get(tenant), quota, cost, now);
    const fullAt = state.at + (quota.maxBurst - state.tokens) / refillPerMs(quota);
    this.buckets.set(tenant, { ...state, fullAt });
    return decision;
  }

  /** Tenants with a bucket in memory. */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    if (now - this.sweptAt < SWEEP_EVERY_MS) return;
    this.sweptAt = now;
    for (const [tenant, bucket] of this.buckets) {
      if (bucket.fullAt <= now) this.buckets.delete(tenant);
    }
  }
}
