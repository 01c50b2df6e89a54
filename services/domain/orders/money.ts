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

interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

export const ZERO_MONEY = '0' as Money;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

function decimalOf(value: string): Decimal {
  const match = DECIMAL.exec(value.trim());
  if (!match || `${match[2]}${match[3] ?? ''}` === '')
    throw new RangeError(`not an amount of money: ${value}`);
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  let units = BigInt(`${whole}${fraction}` || '0');
  let scale = fraction.length - Number(exponent);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units: sign === '-' ? -units : units, scale };
}

function moneyOf({ units, scale }: Decimal): Money {
  const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, '0');
  const sign = units < 0n ? '-' : '';
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return `${sign}${text}` as Money;
}

function rescaled(value: Decimal, scale: number): bigint {
  return value.units * 10n ** BigInt(scale - value.scale);
}

/** A price as an event carries it (a double), or decimal text such as a `numeric` column's. */
export function money(value: number | string): Money {
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new RangeError(`not an amount of money: ${value}`);
  return moneyOf(decimalOf(String(value)));
}

export function plus(left: Money, right: Money): Money {
  const [a, b] = [decimalOf(left), decimalOf(right)];
  const scale = Math.max(a.scale, b.scale);
  return moneyOf({ units: rescaled(a, scale) + rescaled(b, scale), scale });
}

/** So many of an amount: a quantity is a whole number, so the scale stays. */
export function times(amount: Money, quantity: number): Money {
  if (!Number.isSafeInteger(quantity)) throw new RangeError(`not a whole quantity: ${quantity}`);
  const { units, scale } = decimalOf(amount);
  return moneyOf({ units: units * BigInt(quantity), scale });
}

export function negated(amount: Money): Money {
  const { units, scale } = decimalOf(amount);
  return moneyOf({ units: -units, scale });
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
