import type { Decider } from '../kernel/index.ts';
import {
  createTenantPayload,
  forgetSubjectPayload,
  offboardTenantPayload,
  reactivateTenantPayload,
  renameTenantPayload,
  setTenantQuotaPayload,
  suspendTenantPayload,
  type TenantCommand,
} from './commands.ts';
import { decideTenant } from './decide.ts';
import type { TenantEvent } from './events.ts';
import { evolveTenant, initialTenantState, type TenantState } from './state.ts';

export const tenantDecider: Decider<TenantCommand, TenantEvent, TenantState> = {
  context: 'tenants',
  aggregateType: 'Tenant',
  initialState: initialTenantState,
  exists: (state) => state.status !== 'none',
  decide: decideTenant,
  evolve: evolveTenant,
  // Every rule reads only the latest state, so deciding again after a conflict is safe.
  commands: {
    // Issued by the platform admin's POST /api/v1/tenants, not through /commands/execute.
    CreateTenant: { payload: createTenantPayload, target: 'create', retryOnConflict: true },
    RenameTenant: { payload: renameTenantPayload, target: 'existing', retryOnConflict: true },
    SuspendTenant: { payload: suspendTenantPayload, target: 'existing', retryOnConflict: true },
    ReactivateTenant: { payload: reactivateTenantPayload, target: 'existing', retryOnConflict: true },
    SetTenantQuota: { payload: setTenantQuotaPayload, target: 'existing', retryOnConflict: true },
    // Issued by the erasure routes, which destroy keys in the same transaction, not through /commands/execute.
    ForgetSubject: { payload: forgetSubjectPayload, target: 'existing', retryOnConflict: true },
    OffboardTenant: { payload: offboardTenantPayload, target: 'existing', retryOnConflict: true },
  },
  events: {
    TenantCreated: { currentVersion: 1 },
    TenantRenamed: { currentVersion: 1 },
    TenantSuspended: { currentVersion: 1 },
    TenantReactivated: { currentVersion: 1 },
    TenantQuotaChanged: { currentVersion: 1 },
    SubjectForgotten: { currentVersion: 1 },
    TenantOffboarded: { currentVersion: 1 },
  },
};
