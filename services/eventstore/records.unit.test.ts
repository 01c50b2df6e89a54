import fc from 'fast-check';
import { compareCheckpoints, compareTransactionIds } from './records.ts';

/** An xid8 as PostgreSQL writes it, short and long, up to 2^64 - 1. */
const transactionId = fc
  .oneof(fc.bigInt({ min: 0n, max: 10_000n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
  .map((id) => id.toString());

test('given two transaction ids, when compared as text, then the order is that of their numbers', () => {
  fc.assert(
    fc.property(transactionId, transactionId, (a, b) => {
      const byNumber = BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
      expect(compareTransactionIds(a, b)).toBe(byNumber);
    }),
  );
  expect(compareTransactionIds('9', '10')).toBe(-1);
  expect(compareTransactionIds('0', '0')).toBe(0);
});

test('given two points of one transaction, when compared, then the position decides', () => {
  expect(compareCheckpoints({ transactionId: '77', position: 5 }, { transactionId: '77', position: 6 })).toBe(
    -1,
  );
  expect(
    compareCheckpoints({ transactionId: '100', position: 1 }, { transactionId: '99', position: 9 }),
  ).toBe(1);
  expect(compareCheckpoints({ transactionId: '8', position: 3 }, { transactionId: '8', position: 3 })).toBe(
    0,
  );
});
