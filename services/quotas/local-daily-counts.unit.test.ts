import { randomUUID } from 'node:crypto';
import { tenantId } from '../platform/tenancy/index.ts';
import { LocalDailyCounts } from './local-daily-counts.ts';

const noon = Date.UTC(2030, 0, 1, 12);

describe('LocalDailyCounts', () => {
  test('reserves batches all or nothing up to the limit, per tenant, and starts over the next UTC day', () => {
    const counts = new LocalDailyCounts();
    const [tenant, other] = [tenantId(randomUUID()), tenantId(randomUUID())];
    expect(counts.record(tenant, 3, 5, noon)).toEqual({ allowed: true, used: 3 });
    expect(counts.record(tenant, 3, 5, noon)).toEqual({ allowed: false, used: 3 });
    expect(counts.record(tenant, 2, 5, noon)).toEqual({ allowed: true, used: 5 });
    expect(counts.record(other, 5, 5, noon)).toEqual({ allowed: true, used: 5 });
    expect(counts.record(tenant, 5, 5, Date.UTC(2030, 0, 2))).toEqual({ allowed: true, used: 5 });
  });

  test('gives back events of today, never below zero, and ignores a release from another day', () => {
    const counts = new LocalDailyCounts();
    const tenant = tenantId(randomUUID());
    counts.record(tenant, 4, 5, noon);
    counts.release(tenant, 3, noon);
    expect(counts.record(tenant, 4, 5, noon)).toEqual({ allowed: true, used: 5 });
    counts.release(tenant, 9, Date.UTC(2029, 11, 31));
    expect(counts.record(tenant, 1, 5, noon)).toEqual({ allowed: false, used: 5 });
    counts.release(tenant, 9, noon);
    expect(counts.record(tenant, 5, 5, noon)).toEqual({ allowed: true, used: 5 });
  });
});
