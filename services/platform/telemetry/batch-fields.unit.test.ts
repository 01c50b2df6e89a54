import { batchFields } from './batch-fields.ts';

test('given one command’s events, when summarised, then its tenant, correlation and causation are named', () => {
  const items = [1, 2].map(() => ({ tenantId: 't-1', correlationId: 'c-1', causationId: 'cmd-1' }));
  expect(batchFields(items)).toEqual({
    tenant: 't-1',
    tenants: 1,
    correlationId: 'c-1',
    causationId: 'cmd-1',
  });
});

test('given a batch across tenants and commands, when summarised, then only the number of tenants is', () => {
  const items = [
    { tenantId: 't-1', correlationId: 'c-1', causationId: null },
    { tenantId: 't-2', correlationId: 'c-2', causationId: null },
    { tenantId: 't-2', correlationId: 'c-2', causationId: null },
  ];
  expect(batchFields(items)).toEqual({ tenants: 2 });
});
