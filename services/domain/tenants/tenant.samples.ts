import type {
  CreateTenant,
  ForgetSubject,
  OffboardTenant,
  ReactivateTenant,
  RenameTenant,
  SetTenantQuota,
  SuspendTenant,
  TenantCommand,
} from './commands.ts';
import type {
  SubjectForgotten,
  TenantCreated,
  TenantOffboarded,
  TenantQuotaChanged,
  TenantReactivated,
  TenantRenamed,
  TenantSuspended,
} from './events.ts';

// Test data shared by the specs and the schema test, so that the events checked
// against the Avro schemas are the ones the rules are specified with.

export const createTenant: CreateTenant = {
  type: 'CreateTenant',
  payload: { name: 'Acme', plan: 'pro', contactName: 'Grace Hopper', contactEmail: 'grace@acme.example' },
};
export const tenantCreated: TenantCreated = {
  type: 'TenantCreated',
  data: {
    name: 'Acme',
    plan: 'pro',
    quota: { commandsPerMinute: 600, maxBurst: 100, eventsPerDay: 1_000_000 },
    contactName: 'Grace Hopper',
    contactEmail: 'grace@acme.example',
  },
};

export const renameTenant: RenameTenant = { type: 'RenameTenant', payload: { name: 'Acme Europe' } };
export const tenantRenamed: TenantRenamed = { type: 'TenantRenamed', data: { name: 'Acme Europe' } };

export const suspendTenant: SuspendTenant = { type: 'SuspendTenant', payload: { reason: 'invoice overdue' } };
export const tenantSuspended: TenantSuspended = {
  type: 'TenantSuspended',
  data: { reason: 'invoice overdue' },
};

export const suspendTenantWithoutReason: SuspendTenant = { type: 'SuspendTenant', payload: {} };
export const tenantSuspendedWithoutReason: TenantSuspended = {
  type: 'TenantSuspended',
  data: { reason: null },
};

export const reactivateTenant: ReactivateTenant = {
  type: 'ReactivateTenant',
  payload: { reason: 'the overdue invoice was paid' },
};
export const tenantReactivated: TenantReactivated = {
  type: 'TenantReactivated',
  data: { reason: 'the overdue invoice was paid' },
};

export const setTenantQuota: SetTenantQuota = {
  type: 'SetTenantQuota',
  payload: { commandsPerMinute: 1200, maxBurst: 300, eventsPerDay: 5_000 },
};
export const tenantQuotaChanged: TenantQuotaChanged = {
  type: 'TenantQuotaChanged',
  data: { commandsPerMinute: 1200, maxBurst: 300, eventsPerDay: 5_000 },
};

export const forgetSubject: ForgetSubject = { type: 'ForgetSubject', payload: { subject: 'customer-42' } };
export const subjectForgotten: SubjectForgotten = {
  type: 'SubjectForgotten',
  data: { subject: 'customer-42' },
};

export const offboardTenant: OffboardTenant = {
  type: 'OffboardTenant',
  payload: { reason: 'the contract ended' },
};
export const tenantOffboarded: TenantOffboarded = {
  type: 'TenantOffboarded',
  data: { reason: 'the contract ended' },
};

/** Whole lives of a tenant, every command accepted in turn: together they produce every event type. */
export const tenantLives: readonly (readonly TenantCommand[])[] = [
  [createTenant, renameTenant, suspendTenant, reactivateTenant, setTenantQuota],
  [createTenant, suspendTenantWithoutReason, setTenantQuota, reactivateTenant, forgetSubject, offboardTenant],
];
