import { type Rejection, reject } from '../kernel/index.ts';
import type { TenantCommand } from './commands.ts';
import type { TenantEvent } from './events.ts';
import { planQuotas } from './plans.ts';
import type { TenantState } from './state.ts';

export function decideTenant(command: TenantCommand, state: TenantState): readonly TenantEvent[] | Rejection {
  if (command.type === 'CreateTenant') {
    if (state.status !== 'none') return reject('tenant-already-exists', 'the tenant already exists');
    const { name, plan, contactName, contactEmail } = command.payload;
    // Copied, so that the event never shares an object with the exported plan table.
    const quota = { ...planQuotas[plan] };
    return [
      {
        type: 'TenantCreated',
        data: { name, plan, quota, contactName: contactName ?? null, contactEmail: contactEmail ?? null },
      },
    ];
  }
  if (state.status === 'none') return reject('tenant-not-found', 'no tenant has been created under this id');
  // Offboarding again decides nothing, so that a rerun can finish what a crash interrupted.
  if (state.status === 'offboarded') {
    if (command.type === 'OffboardTenant') return [];
    return reject('tenant-offboarded', 'the tenant was offboarded');
  }

  switch (command.type) {
    case 'RenameTenant':
      if (command.payload.name === state.name) {
        return reject('tenant-name-unchanged', `the tenant is already named "${state.name}"`);
      }
      return [{ type: 'TenantRenamed', data: { name: command.payload.name } }];
    case 'SuspendTenant':
      if (state.status !== 'active')
        return reject('tenant-not-active', 'only an active tenant can be suspended');
      // An empty reason says nothing; it is stored as no reason at all.
      return [{ type: 'TenantSuspended', data: { reason: command.payload.reason || null } }];
    case 'ReactivateTenant':
      if (state.status !== 'suspended') {
        return reject('tenant-not-suspended', 'only a suspended tenant can be reactivated');
      }
      return [{ type: 'TenantReactivated', data: { reason: command.payload.reason || null } }];
    case 'ForgetSubject':
      // Each request is audited, a repeat too: forgetting again destroys nothing more.
      return [{ type: 'SubjectForgotten', data: { subject: command.payload.subject } }];
    case 'OffboardTenant':
      return [{ type: 'TenantOffboarded', data: { reason: command.payload.reason || null } }];
    case 'SetTenantQuota': {
      const {
        commandsPerMinute,
        maxBurst = state.quota.maxBurst,
        eventsPerDay = state.quota.eventsPerDay,
      } = command.payload;
      return [{ type: 'TenantQuotaChanged', data: { commandsPerMinute, maxBurst, eventsPerDay } }];
    }
  }
}
