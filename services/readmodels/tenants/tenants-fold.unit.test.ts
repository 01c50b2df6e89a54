import type { TenantId } from '../../platform/tenancy/index.ts';
import type { ProjectedEvent } from '../projection.ts';
import { evolveTenant } from './tenants-fold.ts';

let version = 0;
function event(type: string, data: Record<string, unknown> = {}): ProjectedEvent {
  version++;
  return {
    eventId: `e${version}`,
    type,
    tenantId: '00000000-0000-4000-8000-000000000001' as TenantId,
    aggregateId: '00000000-0000-4000-8000-000000000001',
    aggregateVersion: version,
    globalPosition: version,
    occurredAt: new Date(version * 1000),
    data,
  };
}

const created = () =>
  event('TenantCreated', { name: 'Acme', plan: 'pro', quota: { commandsPerMinute: 600, maxBurst: 60 } });

test('given no tenant, when created, then an active row with its plan and quota', () => {
  expect(evolveTenant(undefined, created())).toMatchObject({
    name: 'Acme',
    status: 'active',
    plan: 'pro',
    commandsPerMinute: 600,
    maxBurst: 60,
    suspensionReason: null,
  });
});

test('given a tenant, when suspended then reactivated, then the reason is set then cleared and the version follows', () => {
  const suspended = evolveTenant(
    evolveTenant(undefined, created()),
    event('TenantSuspended', { reason: 'unpaid' }),
  );
  expect(suspended).toMatchObject({ status: 'suspended', suspensionReason: 'unpaid' });
  const reactivated = evolveTenant(suspended, event('TenantReactivated'));
  expect(reactivated).toMatchObject({ status: 'active', suspensionReason: null, version: version });
  expect(reactivated?.updatedAt).toBe(new Date(version * 1000).toISOString());
});

test('given a tenant, when created again, then it is left as it is', () => {
  const tenant = evolveTenant(undefined, created());
  expect(evolveTenant(tenant, created())).toBe(tenant);
});

test('given no tenant, when renamed, then there is still none', () => {
  expect(evolveTenant(undefined, event('TenantRenamed', { name: 'B' }))).toBeUndefined();
});
