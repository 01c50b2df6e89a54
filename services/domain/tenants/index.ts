export {
  type CreateTenant,
  createTenantPayload,
  type ForgetSubject,
  forgetSubjectPayload,
  type OffboardTenant,
  offboardTenantPayload,
  type ReactivateTenant,
  type RenameTenant,
  reactivateTenantPayload,
  renameTenantPayload,
  type SetTenantQuota,
  type SuspendTenant,
  setTenantQuotaPayload,
  suspendTenantPayload,
  type TenantCommand,
} from './commands.ts';
export { tenantDecider } from './decider.ts';
export type {
  SubjectForgotten,
  TenantCreated,
  TenantEvent,
  TenantOffboarded,
  TenantQuotaChanged,
  TenantReactivated,
  TenantRenamed,
  TenantSuspended,
} from './events.ts';
export { planQuotas, type TenantPlan, type TenantQuota, tenantPlans } from './plans.ts';
export {
  evolveTenant,
  type ExistingTenant,
  initialTenantState,
  type TenantState,
  type TenantStatus,
} from './state.ts';
