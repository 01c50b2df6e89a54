export const tenantPlans = ['free', 'pro', 'enterprise'] as const;

export type TenantPlan = (typeof tenantPlans)[number];

/** How many commands a tenant may issue: a token bucket refilled per minute. */
export interface TenantQuota {
  readonly commandsPerMinute: number;
  readonly maxBurst: number;
}

/** The quota a tenant starts with; SetTenantQuota overrides it afterwards. */
export const planQuotas: { readonly [Plan in TenantPlan]: TenantQuota } = {
  free: { commandsPerMinute: 60, maxBurst: 20 },
  pro: { commandsPerMinute: 600, maxBurst: 100 },
  enterprise: { commandsPerMinute: 6000, maxBurst: 1000 },
};
