import type { TenantId } from '../platform/tenancy/index.ts';
import { utcDay } from './utc-day.ts';

/**
 * Today's event counts a replica keeps while Redis is unreachable. They start
 * at zero and each replica counts alone, so while degraded a tenant may store
 * up to its daily limit once per replica, on top of what Redis had counted.
 */
export class LocalDailyCounts {
  private day = '';
  private readonly used = new Map<TenantId, number>();

  /** Reserves `events` for the tenant on the day of `now`, all or nothing; returns the count afterwards. */
  record(
    tenant: TenantId,
    events: number,
    limitPerDay: number,
    now: number,
  ): { allowed: boolean; used: number } {
    const today = utcDay(now);
    if (today !== this.day) {
      // Yesterday's counts limit nothing any more.
      this.used.clear();
      this.day = today;
    }
    const used = this.used.get(tenant) ?? 0;
    if (used + events > limitPerDay) return { allowed: false, used };
    this.used.set(tenant, used + events);
    return { allowed: true, used: used + events };
  }

  /** Gives back events reserved on the day of `now` that were not stored. */
  release(tenant: TenantId, events: number, now: number): void {
    if (utcDay(now) !== this.day) return;
    const used = this.used.get(tenant);
    if (used !== undefined) this.used.set(tenant, Math.max(0, used - events));
  }
}
