import type { TenantId } from '../../services/platform/tenancy/index.ts';
import type { CommandQuota, QuotaDecision } from '../../services/quotas/index.ts';
import type { CommandRate } from '../../services/quotas/token-bucket.ts';

/**
 * One command's token through CommandQuota.admit, with no events reserved
 * (a counter of the day under keyPrefix, limit 0): the tenant's bucket alone,
 * for the tests of its rule and of its fallback.
 */
export async function takeToken(
  quota: CommandQuota,
  tenant: TenantId,
  rate: CommandRate,
  keyPrefix: string,
): Promise<QuotaDecision> {
  const now = Date.now();
  const { allowed, retryAfterMs, remaining, degraded } = await quota.admit(tenant, rate, {
    key: `${keyPrefix}events:{${tenant}}:bucket-tests`,
    events: 0,
    limitPerDay: 0,
    expireAtMs: now + 86_400_000,
    now,
  });
  return { allowed, retryAfterMs, remaining, degraded };
}
