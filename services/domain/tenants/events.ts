import type { DomainEvent } from '../kernel/index.ts';
import type { TenantPlan, TenantQuota } from './plans.ts';

/**
 * Events written before daily event limits existed carry no eventsPerDay (the
 * schema's default, null): the plan's limit, or on a change the limit in force.
 */
type RecordedQuota = Omit<TenantQuota, 'eventsPerDay'> & { readonly eventsPerDay?: number | null };

export type TenantCreated = DomainEvent<
  'TenantCreated',
  {
    readonly name: string;
    readonly plan: TenantPlan;
    readonly quota: RecordedQuota;
    /** Personal data of the tenant's subject "contact": null when not given, and once forgotten. */
    readonly contactName: string | null;
    readonly contactEmail: string | null;
  }
>;
export type TenantRenamed = DomainEvent<'TenantRenamed', { readonly name: string }>;
export type TenantSuspended = DomainEvent<'TenantSuspended', { readonly reason: string | null }>;
export type TenantReactivated = DomainEvent<'TenantReactivated', { readonly reason: string | null }>;
export type TenantQuotaChanged = DomainEvent<'TenantQuotaChanged', RecordedQuota>;
/** The audit of a forget request; the keys it destroyed went in the same transaction. */
export type SubjectForgotten = DomainEvent<'SubjectForgotten', { readonly subject: string }>;
export type TenantOffboarded = DomainEvent<'TenantOffboarded', { readonly reason: string | null }>;

export type TenantEvent =
  | TenantCreated
  | TenantRenamed
  | TenantSuspended
  | TenantReactivated
  | TenantQuotaChanged
  | SubjectForgotten
  | TenantOffboarded;
