import fc from 'fast-check';
import { lineAmount, linesTotal, money, moneyAsNumber, negated, plus, times, ZERO_MONEY } from './money.ts';

/** An amount given as whole units of 10^-scale, and its exact decimal text. */
const amount = fc
  .record({
    // Both sides of 2^53, where the arithmetic leaves numbers for bigints.
    units: fc.oneof(
      fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
      fc.bigInt({ min: -(10n ** 22n), max: 10n ** 22n }),
    ),
    scale: fc.integer({ min: 0, max: 6 }),
  })
  .map(({ units, scale }) => ({ units, scale, text: exactText(units, scale) }));

function exactText(units: bigint, scale: number): string {
  const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, '0');
  const whole = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return `${units < 0n ? '-' : ''}${whole}`;
}

test('given prices as the events carry them, when read, then each is the shortest decimal naming the double', () => {
  expect(money(0.1)).toBe('0.1');
  expect(money(1e-7)).toBe('0.0000001');
  expect(money(1.5e21)).toBe('1500000000000000000000');
  expect(money('6.00')).toBe('6.00');
  expect(() => money(Number.NaN)).toThrow(RangeError);
  expect(() => money('ten')).toThrow(RangeError);
});

test('given 0.1 and 0.2, when added, then the sum is 0.3, not the float 0.30000000000000004', () => {
  expect(plus(money(0.1), money(0.2))).toBe('0.3');
  expect(lineAmount({ quantity: 3, unitPrice: 0.1 })).toBe('0.3');
  expect(linesTotal([])).toBe(ZERO_MONEY);
});

test('given amounts, when added, then the sum is exact and keeps the larger scale, as numeric does', () => {
  fc.assert(
    fc.property(amount, amount, (a, b) => {
      const scale = Math.max(a.scale, b.scale);
      const sum = a.units * 10n ** BigInt(scale - a.scale) + b.units * 10n ** BigInt(scale - b.scale);
      expect(plus(money(a.text), money(b.text))).toBe(exactText(sum, scale));
    }),
  );
});

test('given amounts, when added in any order or grouping, then the total is the same text', () => {
  fc.assert(
    fc.property(fc.array(amount, { minLength: 1, maxLength: 20 }), (amounts) => {
      const values = amounts.map(({ text }) => money(text));
      const forward = values.reduce(plus);
      expect([...values].reverse().reduce(plus)).toBe(forward);
      const half = Math.floor(values.length / 2);
      if (half > 0)
        expect(plus(values.slice(0, half).reduce(plus), values.slice(half).reduce(plus))).toBe(forward);
    }),
  );
});

test('given a line, when costed, then quantity × price equals the price added quantity times', () => {
  fc.assert(
    fc.property(amount, fc.integer({ min: 1, max: 50 }), (price, quantity) => {
      const added = Array.from({ length: quantity }, () => money(price.text)).reduce(plus);
      expect(times(money(price.text), quantity)).toBe(added);
    }),
  );
});

test('given any finite non-negative double as a unit price, when read and given back as a number, then it is that double', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1e12, noNaN: true }), (price) => {
      expect(moneyAsNumber(money(price))).toBe(price === 0 ? 0 : price);
    }),
  );
});

test('given an amount, when negated and added to itself, then it is zero at its scale', () => {
  expect(negated(money('12.50'))).toBe('-12.50');
  expect(plus(money('12.50'), negated(money('12.50')))).toBe('0.00');
});

test('given amounts at the edge of 2^53, when added, multiplied or negated, then nothing is rounded', () => {
  expect(plus(money('9007199254740991'), money('1'))).toBe('9007199254740992');
  expect(plus(money('90071992547409.91'), money('0.001'))).toBe('90071992547409.911');
  expect(times(money('4503599627370496.5'), 3)).toBe('13510798882111489.5');
  expect(times(money('0.03'), Number.MAX_SAFE_INTEGER)).toBe('270215977642229.73');
  expect(negated(money('-9007199254740993'))).toBe('9007199254740993');
  expect(negated(money('0'))).toBe('0');
  expect(plus(money('-0.00'), money('0'))).toBe('0.00');
});

test('given decimal text in any form numeric or a double gives, when read, then the plain and the general reading agree', () => {
  expect(['5.', '.5', '-.5', '+5', ' 5 ', '-0', '007.10', '1e3', '1E-2'].map((text) => money(text))).toEqual([
    '5',
    '0.5',
    '-0.5',
    '5',
    '5',
    '0',
    '7.10',
    '1000',
    '0.01',
  ]);
  for (const text of ['', '-', '.', '1.2.3', '--5', '5-', '1,5'])
    expect(() => money(text)).toThrow(RangeError);
});
