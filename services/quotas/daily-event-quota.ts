import type { Redis } from 'ioredis';
import { ValidationError } from '../platform/errors/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import { RedisCircuit } from '../platform/redis/index.ts';
import {
  DAILY_EVENT_COMMAND,
  DAILY_EVENT_SCRIPT,
  type DailyEventCommand,
  RELEASE_DAILY_EVENT_COMMAND,
  RELEASE_DAILY_EVENT_SCRIPT,
} from './daily-event-script.ts';
import { LocalDailyCounts } from './local-daily-counts.ts';
import { DEFAULT_KEY_PREFIX, type QuotaDecision, type QuotaOptions } from './quota-decision.ts';
import { DAY_MS, endOfUtcDay, utcDay } from './utc-day.ts';

/** Events to count on a tenant's day, as DailyEventQuota.reservation() checked them. */
export interface DailyReservation {
  readonly key: string;
  readonly events: number;
  readonly limitPerDay: number;
  /** The counter expires a day after its day ends. */
  readonly expireAtMs: number;
  /** The wall clock that picked the day. */
  readonly now: number;
}

export interface DailyEventQuotaOptions extends QuotaOptions {
  /**
   * The wall clock (ms since the epoch) that picks the UTC day; tests pass their own.
   * Replicas' clocks differ by little, so only events within that much of midnight
   * may count towards the neighbouring day.
   */
  readonly now?: () => number;
}

/**
 * Events stored per tenant and UTC day, counted in Redis for every gateway
 * replica under one key per tenant and day, which expires a day after the day ends.
 *
 * When Redis fails or misses redisTimeoutMs, each replica counts alone
 * (degraded: true); see LocalDailyCounts for what that allows.
 */
export class DailyEventQuota {
  private readonly redis: Redis & DailyEventCommand;
  private readonly circuit: RedisCircuit;
  private readonly local = new LocalDailyCounts();
  private readonly keyPrefix: string;
  private readonly now: () => number;

  constructor(redis: Redis, options: DailyEventQuotaOptions = {}) {
    redis.defineCommand(DAILY_EVENT_COMMAND, { numberOfKeys: 1, lua: DAILY_EVENT_SCRIPT });
    redis.defineCommand(RELEASE_DAILY_EVENT_COMMAND, { numberOfKeys: 1, lua: RELEASE_DAILY_EVENT_SCRIPT });
    this.redis = redis as Redis & DailyEventCommand;
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.now = options.now ?? Date.now;
    this.circuit = new RedisCircuit({
      timeoutMs: options.redisTimeoutMs,
      backoffMs: options.redisBackoffMs,
      onFailure: options.onFallback,
    });
  }

  /**
   * Reserves `events` against today's limit, all or nothing: a refused batch
   * counts nothing, and retryAfterMs runs to the next UTC midnight. Events whose
   * append then fails are given back with release().
   * @throws ValidationError when the batch alone exceeds the limit: no day would admit it.
   */
  async record(tenant: TenantId, events: number, limitPerDay: number): Promise<QuotaDecision> {
    const { key, expireAtMs, now } = this.reservation(tenant, events, limitPerDay);
    const endOfDay = endOfUtcDay(now);
    const decide = (allowed: boolean, used: number, degraded: boolean): QuotaDecision => ({
      allowed,
      retryAfterMs: allowed ? 0 : endOfDay - now,
      remaining: Math.max(0, limitPerDay - used),
      degraded,
    });
    try {
      const [allowed, used] = await this.circuit.run(() =>
        this.redis[DAILY_EVENT_COMMAND](key, events, limitPerDay, expireAtMs),
      );
      return decide(allowed === 1, used, false);
    } catch {
      // The circuit has reported the failure; the batch is counted here instead.
      const { allowed, used } = this.local.record(tenant, events, limitPerDay, now);
      return decide(allowed, used, true);
    }
  }

  /**
   * Where and until when `events` would be counted today, for a caller that
   * reserves them in a script of its own (CommandQuota.admit); checked as record() checks them.
   * @throws ValidationError when the batch alone exceeds the limit.
   */
  reservation(tenant: TenantId, events: number, limitPerDay: number): DailyReservation {
    if (!Number.isInteger(events) || events < 0) {
      throw new RangeError(`events must be a whole number ≥ 0, not ${events}`);
    }
    if (!Number.isInteger(limitPerDay) || limitPerDay < 0) {
      throw new RangeError(`a daily limit is a whole number ≥ 0, not ${limitPerDay}`);
    }
    if (events > limitPerDay) {
      throw new ValidationError(
        `a batch of ${events} events exceeds the tenant's daily limit of ${limitPerDay}`,
      );
    }
    const now = this.now();
    return { key: this.keyOf(tenant, now), events, limitPerDay, expireAtMs: endOfUtcDay(now) + DAY_MS, now };
  }

  /**
   * Gives back `events` reserved today by record() that were not stored (the
   * append failed or stored nothing new). Best effort: if Redis fails, they stay counted.
   */
  async release(tenant: TenantId, events: number): Promise<void> {
    const now = this.now();
    this.local.release(tenant, events, now);
    try {
      await this.circuit.run(() => this.redis[RELEASE_DAILY_EVENT_COMMAND](this.keyOf(tenant, now), events));
    } catch {
      // Reported by the circuit; erring towards limiting, as a reservation whose append failed does.
    }
  }

  /**
   * Events the tenant stored so far today (UTC), as every replica counted them
   * in Redis; for the admin console and API. Redis unreachable: a 503, not this
   * replica's partial count, which would understate it.
   */
  async usedToday(tenant: TenantId): Promise<number> {
    const used = await this.circuit.run(() => this.redis.get(this.keyOf(tenant, this.now())));
    return used === null ? 0 : Number.parseInt(used, 10);
  }

  private keyOf(tenant: TenantId, now: number): string {
    return `${this.keyPrefix}events:{${tenant}}:${utcDay(now)}`;
  }
}
