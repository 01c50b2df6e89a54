/**
 * Exact decimal arithmetic as PostgreSQL's `numeric` does it, scale included
 * (a sum keeps the larger scale, a product adds them), so a total folded in
 * memory is stored as the very value the statements of a handler would compute.
 * Money never passes through a float.
 */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

export const ZERO: Decimal = { units: 0n, scale: 0 };

/** Parses numeric text, or a number as the pg driver sends it (String(n), exponent included). */
export function decimal(value: string | number): Decimal {
  const text = String(value).trim();
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!match || `${match[2]}${match[3] ?? ''}` === '') throw new RangeError(`not a decimal: ${text}`);
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  const shift = Number(exponent);
  let units = BigInt(`${whole}${fraction}` || '0');
  let scale = fraction.length - shift;
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units: sign === '-' ? -units : units, scale };
}

function rescaled(value: Decimal, scale: number): bigint {
  return value.units * 10n ** BigInt(scale - value.scale);
}

export function plus(left: Decimal, right: Decimal): Decimal {
  const scale = Math.max(left.scale, right.scale);
  return { units: rescaled(left, scale) + rescaled(right, scale), scale };
}

export function times(left: Decimal, right: Decimal): Decimal {
  return { units: left.units * right.units, scale: left.scale + right.scale };
}

export function negated(value: Decimal): Decimal {
  return { units: -value.units, scale: value.scale };
}

/** As numeric text, trailing zeros of the scale kept (`6.00`), which `::numeric` reads back unchanged. */
export function decimalText(value: Decimal): string {
  const digits = (value.units < 0n ? -value.units : value.units).toString().padStart(value.scale + 1, '0');
  const sign = value.units < 0n ? '-' : '';
  if (value.scale === 0) return `${sign}${digits}`;
  return `${sign}${digits.slice(0, -value.scale)}.${digits.slice(-value.scale)}`;
}
