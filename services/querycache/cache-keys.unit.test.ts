import { randomUUID } from 'node:crypto';
import { tenantId } from '../platform/tenancy/index.ts';
import { compareWatermarks, type PreparedQuery } from '../readmodels/index.ts';
import { answerKey, generationKey } from './cache-keys.ts';
import { parseWatermark, watermarkText } from './watermark-text.ts';

const listOrders = (params: Record<string, unknown>): PreparedQuery => ({
  type: 'ListOrders',
  params,
  projection: 'orders',
  answer: () => Promise.reject(new Error('keys never read')),
});

describe('cache keys', () => {
  const tenant = tenantId(randomUUID());

  test('the same question spells one key whatever the order of its params; another cursor another key', () => {
    const key = answerKey('p:', tenant, listOrders({ status: 'placed', limit: 20, cursor: 'abc' }));
    expect(answerKey('p:', tenant, listOrders({ cursor: 'abc', limit: 20, status: 'placed' }))).toBe(key);
    expect(answerKey('p:', tenant, listOrders({ cursor: 'abd', limit: 20, status: 'placed' }))).not.toBe(key);
    expect(key.startsWith(`p:{${tenant}}:q:ListOrders:`)).toBe(true);
  });

  test('every key carries the tenant, so no two tenants share one', () => {
    const other = tenantId(randomUUID());
    const query = listOrders({ limit: 20 });
    expect(answerKey('p:', tenant, query)).not.toBe(answerKey('p:', other, query));
    expect(generationKey('p:', tenant, 'orders')).toBe(`p:{${tenant}}:gen:orders`);
  });
});

describe('watermarks in Redis', () => {
  test('round-trip as text and compare in commit order', () => {
    const mark = { transactionId: '18446744073709551000', position: 42 };
    expect(parseWatermark(watermarkText(mark))).toEqual(mark);
    expect(parseWatermark('garbage')).toBeUndefined();
    expect(parseWatermark(null)).toBeUndefined();
    expect(
      compareWatermarks({ transactionId: '999', position: 50 }, { transactionId: '1000', position: 7 }),
    ).toBe(-1);
    expect(
      compareWatermarks({ transactionId: '1000', position: 8 }, { transactionId: '1000', position: 7 }),
    ).toBe(1);
    expect(compareWatermarks(mark, { ...mark })).toBe(0);
  });
});
