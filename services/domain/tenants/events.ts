import type { DomainEvent } from '../kernel/index.ts';
import type { TenantPlan, TenantQuota } from './plans.ts';

export type TenantCreated = DomainEvent<
  'TenantCreated',
  { readonly name: string; readonly plan: TenantPlan; readonly quota: TenantQuota }
>;
export type TenantRenamed = DomainEvent<'TenantRenamed', { readonly name: string }>;
export type TenantSuspended = DomainEvent<'TenantSuspended', { readonly reason: string | null }>;
export type TenantReactivated = DomainEvent<'TenantReactivated', Record<string, never>>;
export type TenantQuotaChanged = DomainEvent<'TenantQuotaChanged', TenantQuota>;

export type TenantEvent =
  TenantCreated | TenantRenamed | TenantSuspended | TenantReactivated | TenantQuotaChanged;
