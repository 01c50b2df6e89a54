import type { z } from 'zod';
import { given } from '../../../test/support/given.ts';
import {
  createTenantPayload,
  forgetSubjectPayload,
  offboardTenantPayload,
  planQuotas,
  reactivateTenantPayload,
  renameTenantPayload,
  setTenantQuotaPayload,
  suspendTenantPayload,
  type TenantEvent,
  tenantDecider,
} from './index.ts';
import {
  createTenant,
  forgetSubject,
  offboardTenant,
  reactivateTenant,
  renameTenant,
  setTenantQuota,
  subjectForgotten,
  suspendTenant,
  suspendTenantWithoutReason,
  tenantCreated,
  tenantOffboarded,
  tenantQuotaChanged,
  tenantReactivated,
  tenantRenamed,
  tenantSuspended,
  tenantSuspendedWithoutReason,
} from './tenant.samples.ts';

const active: readonly TenantEvent[] = [tenantCreated];
const suspended: readonly TenantEvent[] = [tenantCreated, tenantSuspended];
const reactivated: readonly TenantEvent[] = [...suspended, tenantReactivated];
const offboarded: readonly TenantEvent[] = [tenantCreated, tenantOffboarded];

/** Each issue as "path: message", the way the gateway reports it. */
function issues(schema: z.ZodTypeAny, input: unknown): string[] {
  const result = schema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('the Tenant decider', () => {
  test('is the aggregate type Tenant of the context tenants', () => {
    expect(tenantDecider.context).toBe('tenants');
    expect(tenantDecider.aggregateType).toBe('Tenant');
  });

  test('only CreateTenant creates a tenant, and every command may be decided again after a conflict', () => {
    const commands = Object.entries(tenantDecider.commands);
    expect(commands.filter(([, definition]) => definition.target === 'create').map(([type]) => type)).toEqual(
      ['CreateTenant'],
    );
    expect(commands.every(([, definition]) => definition.retryOnConflict)).toBe(true);
  });

  test('a tenant exists once created, suspended or not', () => {
    expect(tenantDecider.exists(given(tenantDecider).state)).toBe(false);
    expect(tenantDecider.exists(given(tenantDecider, active).state)).toBe(true);
    expect(tenantDecider.exists(given(tenantDecider, suspended).state)).toBe(true);
  });
});

describe('plan quotas', () => {
  test('each plan has its default quota', () => {
    expect(planQuotas).toEqual({
      free: { commandsPerMinute: 60, maxBurst: 20, eventsPerDay: 10_000 },
      pro: { commandsPerMinute: 600, maxBurst: 100, eventsPerDay: 1_000_000 },
      enterprise: { commandsPerMinute: 6000, maxBurst: 1000, eventsPerDay: 100_000_000 },
    });
  });
});

describe('CreateTenant', () => {
  test('given no tenant, it creates one with its plan’s quota', () => {
    given(tenantDecider).when(createTenant).then([tenantCreated]);
  });

  test.each(['free', 'pro', 'enterprise'] as const)('a %s tenant starts with the %s quota', (plan) => {
    given(tenantDecider)
      .when({ type: 'CreateTenant', payload: { name: 'Acme', plan } })
      .then([
        {
          type: 'TenantCreated',
          data: { name: 'Acme', plan, quota: planQuotas[plan], contactName: null, contactEmail: null },
        },
      ]);
  });

  test.each([
    ['active', active],
    ['suspended', suspended],
  ])('given an %s tenant, it is refused: the id is taken', (_, history) => {
    given(tenantDecider, history).when(createTenant).thenRejects('tenant-already-exists');
  });
});

describe('RenameTenant', () => {
  test('given a tenant, it renames it', () => {
    given(tenantDecider, active).when(renameTenant).then([tenantRenamed]);
  });

  test('given a suspended tenant, it still renames it', () => {
    given(tenantDecider, suspended).when(renameTenant).then([tenantRenamed]);
  });

  test('to the name it already has, it is refused', () => {
    given(tenantDecider, active)
      .when({ type: 'RenameTenant', payload: { name: 'Acme' } })
      .thenRejects('tenant-name-unchanged');
  });

  test('back to the name it had before, it is accepted', () => {
    given(tenantDecider, [tenantCreated, tenantRenamed])
      .when({ type: 'RenameTenant', payload: { name: 'Acme' } })
      .then([{ type: 'TenantRenamed', data: { name: 'Acme' } }]);
  });

  test('given no tenant, it is refused as not found', () => {
    given(tenantDecider).when(renameTenant).thenRejects('tenant-not-found');
  });
});

describe('SuspendTenant', () => {
  test('given an active tenant, it suspends it', () => {
    given(tenantDecider, active).when(suspendTenant).then([tenantSuspended]);
  });

  test('without a reason, the reason is null', () => {
    given(tenantDecider, active).when(suspendTenantWithoutReason).then([tenantSuspendedWithoutReason]);
  });

  test('an empty reason counts as none', () => {
    given(tenantDecider, active)
      .when({ type: 'SuspendTenant', payload: { reason: '' } })
      .then([tenantSuspendedWithoutReason]);
  });

  test('given a reactivated tenant, it suspends it again', () => {
    given(tenantDecider, reactivated).when(suspendTenant).then([tenantSuspended]);
  });

  test('given a suspended tenant, it is refused', () => {
    given(tenantDecider, suspended).when(suspendTenant).thenRejects('tenant-not-active');
  });

  test('given no tenant, it is refused as not found', () => {
    given(tenantDecider).when(suspendTenant).thenRejects('tenant-not-found');
  });
});

describe('ReactivateTenant', () => {
  test('given a suspended tenant, it reactivates it', () => {
    given(tenantDecider, suspended).when(reactivateTenant).then([tenantReactivated]);
  });

  test('without a reason, or with an empty one, the event says there was none', () => {
    for (const payload of [{}, { reason: '' }]) {
      given(tenantDecider, suspended)
        .when({ type: 'ReactivateTenant', payload })
        .then([{ type: 'TenantReactivated', data: { reason: null } }]);
    }
  });

  test.each([
    ['an active', active],
    ['a reactivated', reactivated],
  ])('given %s tenant, it is refused', (_, history) => {
    given(tenantDecider, history).when(reactivateTenant).thenRejects('tenant-not-suspended');
  });

  test('given no tenant, it is refused as not found', () => {
    given(tenantDecider).when(reactivateTenant).thenRejects('tenant-not-found');
  });
});

describe('ForgetSubject', () => {
  test.each([
    ['an active', active],
    ['a suspended', suspended],
  ])('given %s tenant, it records the request', (_, history) => {
    given(tenantDecider, history).when(forgetSubject).then([subjectForgotten]);
  });

  test('given a subject forgotten before, it records the repeat too', () => {
    given(tenantDecider, [tenantCreated, subjectForgotten]).when(forgetSubject).then([subjectForgotten]);
  });

  test('changes nothing of the tenant', () => {
    expect(given(tenantDecider, [tenantCreated, subjectForgotten]).state).toEqual(
      given(tenantDecider, active).state,
    );
  });

  test('given an offboarded tenant, it is refused', () => {
    given(tenantDecider, offboarded).when(forgetSubject).thenRejects('tenant-offboarded');
  });

  test('given no tenant, it is refused as not found', () => {
    given(tenantDecider).when(forgetSubject).thenRejects('tenant-not-found');
  });
});

describe('OffboardTenant', () => {
  test.each([
    ['an active', active],
    ['a suspended', suspended],
  ])('given %s tenant, it offboards it', (_, history) => {
    given(tenantDecider, history).when(offboardTenant).then([tenantOffboarded]);
  });

  test('without a reason, or with an empty one, the event says there was none', () => {
    for (const payload of [{}, { reason: '' }]) {
      given(tenantDecider, active)
        .when({ type: 'OffboardTenant', payload })
        .then([{ type: 'TenantOffboarded', data: { reason: null } }]);
    }
  });

  test('given an offboarded tenant, it decides nothing: a rerun finishes the job', () => {
    given(tenantDecider, offboarded).when(offboardTenant).then([]);
  });

  test('leaves the tenant offboarded, however it stood', () => {
    expect(given(tenantDecider, [...suspended, tenantOffboarded]).state).toMatchObject({
      status: 'offboarded',
      suspensionReason: null,
    });
  });

  test.each([renameTenant, suspendTenant, reactivateTenant, setTenantQuota])(
    'given an offboarded tenant, $type is refused',
    (command) => {
      given(tenantDecider, offboarded).when(command).thenRejects('tenant-offboarded');
    },
  );

  test('given no tenant, it is refused as not found', () => {
    given(tenantDecider).when(offboardTenant).thenRejects('tenant-not-found');
  });
});

describe('SetTenantQuota', () => {
  test.each([
    ['an active', active],
    ['a suspended', suspended],
  ])('given %s tenant, it changes the quota', (_, history) => {
    given(tenantDecider, history).when(setTenantQuota).then([tenantQuotaChanged]);
  });

  test('without maxBurst or eventsPerDay, the current burst and daily limit are kept', () => {
    given(tenantDecider, [tenantCreated, tenantQuotaChanged])
      .when({ type: 'SetTenantQuota', payload: { commandsPerMinute: 30 } })
      .then([
        { type: 'TenantQuotaChanged', data: { commandsPerMinute: 30, maxBurst: 300, eventsPerDay: 5_000 } },
      ]);
  });

  test('given a tenant on its plan, it overrides the plan’s daily events limit', () => {
    given(tenantDecider, active)
      .when({ type: 'SetTenantQuota', payload: { commandsPerMinute: 600, eventsPerDay: 3 } })
      .then([
        { type: 'TenantQuotaChanged', data: { commandsPerMinute: 600, maxBurst: 100, eventsPerDay: 3 } },
      ]);
  });

  test('the new daily limit is the tenant’s from then on', () => {
    expect(given(tenantDecider, [tenantCreated, tenantQuotaChanged]).state).toMatchObject({
      quota: { eventsPerDay: 5_000 },
    });
  });

  test('given no tenant, it is refused as not found', () => {
    given(tenantDecider).when(setTenantQuota).thenRejects('tenant-not-found');
  });
});

describe('the state of a tenant', () => {
  test('before anything happened, there is no tenant', () => {
    expect(given(tenantDecider).state).toEqual({ status: 'none' });
  });

  test('it follows the tenant through its life', () => {
    expect(given(tenantDecider, active).state).toEqual({
      status: 'active',
      name: 'Acme',
      plan: 'pro',
      quota: { commandsPerMinute: 600, maxBurst: 100, eventsPerDay: 1_000_000 },
      suspensionReason: null,
    });
    expect(given(tenantDecider, [...suspended, tenantRenamed, tenantQuotaChanged]).state).toEqual({
      status: 'suspended',
      name: 'Acme Europe',
      plan: 'pro',
      quota: { commandsPerMinute: 1200, maxBurst: 300, eventsPerDay: 5_000 },
      suspensionReason: 'invoice overdue',
    });
    expect(given(tenantDecider, reactivated).state).toMatchObject({
      status: 'active',
      suspensionReason: null,
    });
  });

  test('events written before daily limits existed read as the plan’s limit, or the one in force', () => {
    const { quota } = tenantCreated.data;
    const createdBefore: TenantEvent = {
      type: 'TenantCreated',
      data: { ...tenantCreated.data, quota: { commandsPerMinute: quota.commandsPerMinute, maxBurst: 100 } },
    };
    const changedBefore: TenantEvent = {
      type: 'TenantQuotaChanged',
      data: { commandsPerMinute: 30, maxBurst: 10, eventsPerDay: null },
    };
    expect(given(tenantDecider, [createdBefore]).state).toMatchObject({
      quota: { eventsPerDay: planQuotas.pro.eventsPerDay },
    });
    expect(given(tenantDecider, [createdBefore, tenantQuotaChanged, changedBefore]).state).toMatchObject({
      quota: { commandsPerMinute: 30, maxBurst: 10, eventsPerDay: 5_000 },
    });
  });

  test('events before the tenant was created leave it absent', () => {
    expect(given(tenantDecider, [tenantRenamed, tenantSuspended]).state).toEqual({ status: 'none' });
  });
});

describe('payloads', () => {
  test.each([
    ['CreateTenant', createTenantPayload, createTenant.payload],
    ['RenameTenant', renameTenantPayload, renameTenant.payload],
    ['SuspendTenant', suspendTenantPayload, suspendTenant.payload],
    ['SuspendTenant without a reason', suspendTenantPayload, {}],
    ['ReactivateTenant', reactivateTenantPayload, reactivateTenant.payload],
    ['SetTenantQuota', setTenantQuotaPayload, setTenantQuota.payload],
    ['SetTenantQuota without maxBurst', setTenantQuotaPayload, { commandsPerMinute: 1 }],
  ])('a valid %s payload passes unchanged', (_, schema, payload) => {
    expect(schema.parse(payload)).toEqual(payload);
  });

  test('names and reasons are trimmed, and the bounds apply after trimming', () => {
    expect(createTenantPayload.parse({ name: '  Acme  ', plan: 'free' })).toEqual({
      name: 'Acme',
      plan: 'free',
    });
    expect(renameTenantPayload.parse({ name: ` ${'n'.repeat(200)} ` }).name).toHaveLength(200);
    expect(suspendTenantPayload.parse({ reason: ' late ' })).toEqual({ reason: 'late' });
    expect(issues(setTenantQuotaPayload, { commandsPerMinute: 1_000_000, maxBurst: 1 })).toEqual([]);
  });

  test.each([
    [createTenantPayload, { plan: 'free' }, 'name: is required'],
    [createTenantPayload, { name: '   ', plan: 'free' }, 'name: must not be empty'],
    [createTenantPayload, { name: 'n'.repeat(201), plan: 'free' }, 'name: must be at most 200 characters'],
    [createTenantPayload, { name: 'Acme' }, 'plan: must be one of free, pro, enterprise'],
    [createTenantPayload, { name: 'Acme', plan: 'gold' }, 'plan: must be one of free, pro, enterprise'],
    [
      createTenantPayload,
      { name: 'Acme', plan: 'free', apiKey: 'k' },
      ": Unrecognized key(s) in object: 'apiKey'",
    ],
    [renameTenantPayload, {}, 'name: is required'],
    [renameTenantPayload, { name: 42 }, 'name: must be a string'],
    [renameTenantPayload, { name: '' }, 'name: must not be empty'],
    [suspendTenantPayload, { reason: 'r'.repeat(501) }, 'reason: must be at most 500 characters'],
    [suspendTenantPayload, { reason: null }, 'reason: must be a string'],
    [suspendTenantPayload, { until: 'tomorrow' }, ": Unrecognized key(s) in object: 'until'"],
    [reactivateTenantPayload, { note: 'paid' }, ": Unrecognized key(s) in object: 'note'"],
    [reactivateTenantPayload, [], ': must be an object'],
    [forgetSubjectPayload, {}, 'subject: is required'],
    [forgetSubjectPayload, { subject: ' ' }, 'subject: must not be empty'],
    [forgetSubjectPayload, { subject: 'x'.repeat(201) }, 'subject: must be at most 200 characters'],
    [offboardTenantPayload, { reason: 'x'.repeat(501) }, 'reason: must be at most 500 characters'],
    [setTenantQuotaPayload, {}, 'commandsPerMinute: is required'],
    [
      setTenantQuotaPayload,
      { commandsPerMinute: 0 },
      'commandsPerMinute: must be at least 1 command per minute',
    ],
    [
      setTenantQuotaPayload,
      { commandsPerMinute: 1_000_001 },
      'commandsPerMinute: must be at most 1000000 command per minute',
    ],
    [setTenantQuotaPayload, { commandsPerMinute: 2.5 }, 'commandsPerMinute: must be a whole number'],
    [setTenantQuotaPayload, { commandsPerMinute: '60' }, 'commandsPerMinute: must be a number'],
    [setTenantQuotaPayload, { commandsPerMinute: 60, maxBurst: 0 }, 'maxBurst: must be at least 1 command'],
    [setTenantQuotaPayload, { commandsPerMinute: 60, maxBurst: 1.5 }, 'maxBurst: must be a whole number'],
    [setTenantQuotaPayload, { commandsPerMinute: 60, burst: 5 }, ": Unrecognized key(s) in object: 'burst'"],
    [
      setTenantQuotaPayload,
      { commandsPerMinute: 60, eventsPerDay: 0 },
      'eventsPerDay: must be at least 1 event per day',
    ],
    [
      setTenantQuotaPayload,
      { commandsPerMinute: 60, eventsPerDay: 1_000_000_001 },
      'eventsPerDay: must be at most 1000000000 event per day',
    ],
  ])('%#: an invalid payload is reported with its field path', (schema, payload, issue) => {
    expect(issues(schema, payload)).toContain(issue);
  });
});
