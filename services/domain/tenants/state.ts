import type { TenantEvent } from './events.ts';
import type { TenantPlan, TenantQuota } from './plans.ts';

export type TenantStatus = 'none' | 'active' | 'suspended';

export interface ExistingTenant {
  readonly status: Exclude<TenantStatus, 'none'>;
  readonly name: string;
  readonly plan: TenantPlan;
  readonly quota: TenantQuota;
  /** Why the tenant was suspended, while it is; null otherwise or when none was given. */
  readonly suspensionReason: string | null;
}

export type TenantState = { readonly status: 'none' } | ExistingTenant;

export const initialTenantState: TenantState = { status: 'none' };

export function evolveTenant(state: TenantState, event: TenantEvent): TenantState {
  if (event.type === 'TenantCreated') {
    const { name, plan, quota } = event.data;
    return { status: 'active', name, plan, quota, suspensionReason: null };
  }
  // A stream always opens with TenantCreated; ignoring anything before it keeps
  // loading total rather than failing on a history that cannot occur.
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'TenantRenamed':
      return { ...state, name: event.data.name };
    case 'TenantSuspended':
      return { ...state, status: 'suspended', suspensionReason: event.data.reason };
    case 'TenantReactivated':
      return { ...state, status: 'active', suspensionReason: null };
    case 'TenantQuotaChanged':
      return { ...state, quota: event.data };
  }
}
