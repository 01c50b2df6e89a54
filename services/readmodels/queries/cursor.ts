import { ValidationError } from '../../platform/errors/index.ts';

/**
 * ListOrders' opaque cursor: the position of the last order of a page, base64url
 * so callers treat it as a token rather than a number to do arithmetic on.
 */
export function encodeCursor(placedPosition: number): string {
  return Buffer.from(JSON.stringify({ p: placedPosition })).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  try {
    const { p } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { p?: unknown };
    if (typeof p === 'number' && Number.isSafeInteger(p) && p > 0) return p;
  } catch {
    // fall through: every malformed cursor answers alike
  }
  throw new ValidationError('invalid query', [
    { path: '/params/cursor', message: 'not a cursor this API issued' },
  ]);
}
