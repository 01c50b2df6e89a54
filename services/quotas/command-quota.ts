import type { Redis } from 'ioredis';
import type { ReadinessCheck } from '../platform/health/index.ts';
import { pingRedis, RedisCircuit } from '../platform/redis/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import { ADMISSION_COMMAND, ADMISSION_SCRIPT, type AdmissionCommand } from './admission-script.ts';
import type { DailyReservation } from './daily-event-quota.ts';
import { LocalTokenBuckets } from './local-token-buckets.ts';
import { DEFAULT_KEY_PREFIX, type QuotaDecision, type QuotaOptions } from './quota-decision.ts';
import { type CommandRate, checkTake, fullRefillMs, refillPerMs } from './token-bucket.ts';

/** A bucket outlives a full refill by this much, so one expiring early cannot hand out a fresh burst. */
const TTL_MARGIN_MS = 1_000;

export interface CommandQuotaOptions extends QuotaOptions {
  /** The monotonic clock (ms) of the local fallback; tests pass their own. */
  readonly now?: () => number;
}

/**
 * Commands per tenant as a token bucket in Redis, shared by every gateway
 * replica: capacity quota.maxBurst, refilled at quota.commandsPerMinute / 60 per
 * second, one bucket per tenant so one tenant's exhaustion never touches another.
 *
 * When Redis fails or misses redisTimeoutMs, the replica decides alone with
 * in-process buckets of the same parameters (degraded: true). Each replica then
 * grants the full quota by itself, so the effective limit is per replica until
 * Redis answers again.
 */
export class CommandQuota {
  private readonly redis: Redis & AdmissionCommand;
  private readonly circuit: RedisCircuit;
  private readonly local: LocalTokenBuckets;
  private readonly keyPrefix: string;

  constructor(redis: Redis, options: CommandQuotaOptions = {}) {
    redis.defineCommand(ADMISSION_COMMAND, { numberOfKeys: 2, lua: ADMISSION_SCRIPT });
    this.redis = redis as Redis & AdmissionCommand;
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.circuit = new RedisCircuit({
      timeoutMs: options.redisTimeoutMs,
      backoffMs: options.redisBackoffMs,
      onFailure: options.onFallback,
    });
    this.local = new LocalTokenBuckets(options.now);
  }

  /**
   * Takes one command from the tenant's bucket, or says how long until it could;
   * the quota is read on every call, so a changed plan or SetTenantQuota applies
   * at once. In the same round trip, the reservation's events
   * when the command is allowed and they fit the day's count (eventsReserved
   * says how many; 0 when they did not fit, which refuses nothing: the caller
   * asks DailyEventQuota.record() for the exact count then). A caller gives
   * back with DailyEventQuota.release() whatever it reserved and did not store.
   * Decided locally, with nothing reserved, when Redis fails.
   */
  async admit(
    tenant: TenantId,
    quota: CommandRate,
    events: DailyReservation,
  ): Promise<QuotaDecision & { readonly eventsReserved: number }> {
    checkTake(quota, 1);
    try {
      const [allowed, retryAfterMs, remaining, eventsReserved] = await this.circuit.run(() =>
        this.redis[ADMISSION_COMMAND](
          this.bucketOf(tenant),
          events.key,
          quota.maxBurst,
          refillPerMs(quota),
          1,
          fullRefillMs(quota) + TTL_MARGIN_MS,
          events.events,
          events.limitPerDay,
          events.expireAtMs,
        ),
      );
      return { allowed: allowed === 1, retryAfterMs, remaining, degraded: false, eventsReserved };
    } catch {
      return { ...this.local.take(tenant, quota, 1), degraded: true, eventsReserved: 0 };
    }
  }

  /**
   * Commands the tenant could send at once now (whole tokens in its bucket), as
   * every replica shares it in Redis; for the admin console and API. Refilled
   * here with this process's clock, close enough to show, never used to decide.
   */
  async tokensLeft(tenant: TenantId, quota: CommandRate): Promise<number> {
    const [tokens, ts] = await this.circuit.run(() =>
      this.redis.hmget(this.bucketOf(tenant), 'tokens', 'ts'),
    );
    if (tokens === null || tokens === undefined || ts === null || ts === undefined) return quota.maxBurst;
    const refilled = Number(tokens) + Math.max(0, Date.now() - Number(ts)) * refillPerMs(quota);
    return Math.floor(Math.min(quota.maxBurst, refilled));
  }

  /**
   * Down while takes would be decided locally: Redis failed, missed the deadline,
   * or is being skipped after a failure. Not essential: commands go on, /ready says degraded.
   */
  readinessCheck(): ReadinessCheck {
    return {
      name: 'redis',
      essential: false,
      check: async () => {
        // Through the circuit: a probe after the backoff is also the call that lets takes use Redis again.
        await this.circuit.run(() => pingRedis(this.redis));
      },
    };
  }

  private bucketOf(tenant: TenantId): string {
    return `${this.keyPrefix}commands:{${tenant}}`;
  }
}
