export const tenantPlans = ['free', 'pro', 'enterprise'] as const;

export type TenantPlan = (typeof tenantPlans)[number];

/**
 * What a tenant may do: issue commands (a token bucket refilled per minute) and
 * store events (a count per UTC day).
 */
export interface TenantQuota {
  readonly commandsPerMinute: number;
  readonly maxBurst: number;
  readonly eventsPerDay: number;
}

/** The quota a tenant starts with; SetTenantQuota overrides it afterwards. */
export const planQuotas: { readonly [Plan in TenantPlan]: TenantQuota } = {
  free: { commandsPerMinute: 60, maxBurst: 20, eventsPerDay: 10_000 },
  pro: { commandsPerMinute: 600, maxBurst: 100, eventsPerDay: 1_000_000 },
  enterprise: { commandsPerMinute: 6000, maxBurst: 1000, eventsPerDay: 100_000_000 },
};
