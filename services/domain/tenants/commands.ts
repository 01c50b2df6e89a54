import { z } from 'zod';
import { type DomainCommand, expecting } from '../kernel/index.ts';
import { tenantPlans } from './plans.ts';

const required = expecting('a string');

const name = z.string(required).trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

const plan = z.enum(tenantPlans, { error: () => `must be one of ${tenantPlans.join(', ')}` });

function count(description: string, most = 1_000_000) {
  return z
    .number(expecting('a number'))
    .int('must be a whole number')
    .min(1, `must be at least 1 ${description}`)
    .max(most, `must be at most ${most} ${description}`);
}

function payload<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.strictObject(shape, expecting('an object'));
}

/** The tenant's contact person: personal data (docs/privacy.md), sealed by the event store before it is stored. */
export const createTenantPayload = payload({
  name,
  plan,
  contactName: z
    .string(required)
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters')
    .optional(),
  contactEmail: z
    .email({ error: 'must be an email address' })
    .max(320, 'must be at most 320 characters')
    .optional(),
});
export const renameTenantPayload = payload({ name });
export const suspendTenantPayload = payload({
  reason: z.string(required).trim().max(500, 'must be at most 500 characters').optional(),
});
export const reactivateTenantPayload = payload({
  reason: z.string(required).trim().max(500, 'must be at most 500 characters').optional(),
});
/** The subject's id as the events name it: a customer id, or "contact" for the tenant's contact. */
export const forgetSubjectPayload = payload({
  subject: z.string(required).trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
});
export const offboardTenantPayload = payload({
  reason: z.string(required).trim().max(500, 'must be at most 500 characters').optional(),
});
export const setTenantQuotaPayload = payload({
  commandsPerMinute: count('command per minute'),
  maxBurst: count('command').optional(),
  // Avro's int holds it; a billion a day is ten times what one tenant's partition could carry.
  eventsPerDay: count('event per day', 1_000_000_000).optional(),
});

export type CreateTenant = DomainCommand<'CreateTenant', z.infer<typeof createTenantPayload>>;
export type RenameTenant = DomainCommand<'RenameTenant', z.infer<typeof renameTenantPayload>>;
export type SuspendTenant = DomainCommand<'SuspendTenant', z.infer<typeof suspendTenantPayload>>;
export type ReactivateTenant = DomainCommand<'ReactivateTenant', z.infer<typeof reactivateTenantPayload>>;
export type SetTenantQuota = DomainCommand<'SetTenantQuota', z.infer<typeof setTenantQuotaPayload>>;

export type ForgetSubject = DomainCommand<'ForgetSubject', z.infer<typeof forgetSubjectPayload>>;
export type OffboardTenant = DomainCommand<'OffboardTenant', z.infer<typeof offboardTenantPayload>>;

export type TenantCommand =
  | CreateTenant
  | RenameTenant
  | SuspendTenant
  | ReactivateTenant
  | SetTenantQuota
  | ForgetSubject
  | OffboardTenant;
