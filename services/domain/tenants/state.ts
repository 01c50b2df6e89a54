import type { TenantEvent } from './events.ts';
import { planQuotas, type TenantPlan, type TenantQuota } from './plans.ts';

/** An offboarded tenant stays offboarded: nothing is decided for it any more. */
export type TenantStatus = 'none' | 'active' | 'suspended' | 'offboarded';

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
    const { commandsPerMinute, maxBurst, eventsPerDay } = quota;
    return {
      status: 'active',
      name,
      plan,
      quota: { commandsPerMinute, maxBurst, eventsPerDay: eventsPerDay ?? planQuotas[plan].eventsPerDay },
      suspensionReason: null,
    };
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
    case 'TenantOffboarded':
      return { ...state, status: 'offboarded', suspensionReason: null };
    case 'SubjectForgotten':
      return state;
    case 'TenantQuotaChanged': {
      const { commandsPerMinute, maxBurst, eventsPerDay } = event.data;
      return {
        ...state,
        quota: { commandsPerMinute, maxBurst, eventsPerDay: eventsPerDay ?? state.quota.eventsPerDay },
      };
    }
  }
}
