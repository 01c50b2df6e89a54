import type { OrderLine } from './events.ts';

declare const moneyBrand: unique symbol;

/**
 * An amount of money in an order's currency, exact: decimal text as
 * PostgreSQL's `numeric` writes it, scale included (`6.00`). Sums keep the
 * larger scale and a line's amount the price's, as `numeric` does, so a total
 * folded here is the very value a read model's column holds; it never passes
 * through a float. Text, not a number or an object, so it goes into a
 * snapshot, a JSON document or a `numeric` parameter as it is.
 *
 * Unit prices are the doubles the events carry (schemas/orders), read as the
 * shortest decimal that names them (`0.1`, not 0.1000000000000000055…), and
 * kept at their own scale: an order's currency does not round them to its
 * minor units, which the domain does not know.
 */
export type Money = string & { readonly [moneyBrand]: true };

/**
 * Units of 10^-scale. A number while it is a safe integer, which every amount
 * an order realistically holds is, and a bigint beyond: the projector folds
 * several amounts per event, and their BigInts and regular-expression matches
 * were an eighth of what its catch-up allocated. A number result is taken only
 * when it is a safe integer, which is exactly when the double arithmetic that
 * made it was exact.
 */
type Units = number | bigint;

interface Decimal {
  readonly units: Units;
  readonly scale: number;
}

export const ZERO_MONEY = '0' as Money;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;
/** Up to 15 digits is below 2^53: read as a number, exactly. */
const SAFE_DIGITS = 15;

function decimalOf(value: string): Decimal {
  return plainDecimalOf(value) ?? anyDecimalOf(value);
}

/**
 * Plain decimal text of at most 15 digits (`-12.50`, what this module and
 * `numeric` write), read without a match or a substring: a fold reads an
 * amount back for every operation. Anything else is left to DECIMAL.
 */
function plainDecimalOf(value: string): Decimal | undefined {
  const signed = value.charCodeAt(0) === 45; // '-'
  let units = 0;
  let digits = 0;
  let scale = -1;
  for (let i = signed ? 1 : 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      units = units * 10 + (code - 48);
      digits++;
      if (scale >= 0) scale++;
    } else if (code === 46 && scale < 0)
      scale = 0; // the one '.'
    else return undefined;
  }
  if (digits === 0 || digits > SAFE_DIGITS) return undefined;
  return { units: signed ? 0 - units : units, scale: Math.max(scale, 0) };
}

function anyDecimalOf(value: string): Decimal {
  const match = DECIMAL.exec(value.trim());
  if (!match || `${match[2]}${match[3] ?? ''}` === '')
    throw new RangeError(`not an amount of money: ${value}`);
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  const digits = `${whole}${fraction}` || '0';
  let units: Units = digits.length <= SAFE_DIGITS ? Number(digits) : BigInt(digits);
  let scale = fraction.length - Number(exponent);
  if (scale < 0) {
    units = scaledUp(units, -scale);
    scale = 0;
  }
  return { units: sign === '-' ? negative(units) : units, scale };
}

function negative(units: Units): Units {
  // 0 - x, not -x: a number's -0 would be one more value meaning zero.
  return typeof units === 'number' ? 0 - units : -units;
}

function scaledUp(units: Units, digits: number): Units {
  if (digits === 0) return units;
  if (typeof units === 'number' && digits <= SAFE_DIGITS) {
    const product = units * 10 ** digits;
    if (Number.isSafeInteger(product)) return product;
  }
  return BigInt(units) * 10n ** BigInt(digits);
}

function sum(left: Units, right: Units): Units {
  if (typeof left === 'number' && typeof right === 'number') {
    const total = left + right;
    if (Number.isSafeInteger(total)) return total;
  }
  return BigInt(left) + BigInt(right);
}

function product(units: Units, factor: number): Units {
  if (typeof units === 'number') {
    const result = units * factor;
    if (Number.isSafeInteger(result)) return result;
  }
  return BigInt(units) * BigInt(factor);
}

function moneyOf({ units, scale }: Decimal): Money {
  const below = units < 0;
  const digits = (below ? negative(units) : units).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return `${below ? '-' : ''}${text}` as Money;
}

/** A price as an event carries it (a double), or decimal text such as a `numeric` column's. */
export function money(value: number | string): Money {
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new RangeError(`not an amount of money: ${value}`);
  return moneyOf(decimalOf(String(value)));
}

export function plus(left: Money, right: Money): Money {
  const a = decimalOf(left);
  const b = decimalOf(right);
  const scale = Math.max(a.scale, b.scale);
  return moneyOf({
    units: sum(scaledUp(a.units, scale - a.scale), scaledUp(b.units, scale - b.scale)),
    scale,
  });
}

/** So many of an amount: a quantity is a whole number, so the scale stays. */
export function times(amount: Money, quantity: number): Money {
  if (!Number.isSafeInteger(quantity)) throw new RangeError(`not a whole quantity: ${quantity}`);
  const { units, scale } = decimalOf(amount);
  return moneyOf({ units: product(units, quantity), scale });
}

export function negated(amount: Money): Money {
  const { units, scale } = decimalOf(amount);
  return moneyOf({ units: negative(units), scale });
}

/** What a line costs: quantity × unit price. */
export function lineAmount(line: Pick<OrderLine, 'quantity' | 'unitPrice'>): Money {
  return times(money(line.unitPrice), line.quantity);
}

/** An order's total: its lines' amounts added (0 without lines). */
export function linesTotal(lines: readonly Pick<OrderLine, 'quantity' | 'unitPrice'>[]): Money {
  return (
    lines.reduce<Money | undefined>((sum, line) => {
      const amount = lineAmount(line);
      return sum === undefined ? amount : plus(sum, amount);
    }, undefined) ?? ZERO_MONEY
  );
}

/**
 * The amount as the HTTP API's JSON answers give it: a number (the nearest
 * double). Only at that edge; arithmetic stays on Money.
 */
export function moneyAsNumber(amount: Money): number {
  return Number(amount);
}
