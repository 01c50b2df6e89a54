import { decimal, decimalText, negated, plus, times } from './decimal.ts';

test('given numbers as the pg driver sends them, when parsed, then value and scale are numeric input', () => {
  expect(decimalText(decimal(1.5))).toBe('1.5');
  expect(decimalText(decimal('6.00'))).toBe('6.00');
  expect(decimalText(decimal(1e-7))).toBe('0.0000001');
  expect(decimalText(decimal(1.5e21))).toBe('1500000000000000000000');
  expect(decimalText(decimal('-0.25'))).toBe('-0.25');
});

test('given two amounts, when added, then the larger scale is kept, as numeric does', () => {
  expect(decimalText(plus(decimal('1.10'), decimal(2)))).toBe('3.10');
  expect(decimalText(plus(decimal('0.1'), decimal('0.2')))).toBe('0.3');
});

test('given a quantity and a price, when multiplied, then the scales add and nothing is rounded', () => {
  expect(decimalText(times(decimal(3), decimal(0.1)))).toBe('0.3');
  expect(decimalText(times(decimal('1.25'), decimal('0.5')))).toBe('0.625');
});

test('given a total, when negated, then the sign flips and the scale stays', () => {
  expect(decimalText(negated(decimal('12.50')))).toBe('-12.50');
  expect(decimalText(plus(decimal('12.50'), negated(decimal('12.50'))))).toBe('0.00');
});
