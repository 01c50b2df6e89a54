import express, { type NextFunction, type Request, type Response } from 'express';
import {
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../platform/errors/index.ts';

const MAX_DEPTH = 32;

/** Why a parsed JSON value cannot be stored as JSONB or is built to exhaust us; undefined when fine. */
function flaw(value: unknown, depth = 0): string | undefined {
  if (depth > MAX_DEPTH) return `nests deeper than ${MAX_DEPTH} levels`;
  if (typeof value === 'string') {
    if (!value.isWellFormed()) return 'holds a string with a lone surrogate';
    if (value.includes('\u0000')) return 'holds a string with a NUL character';
    return undefined;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return 'holds a number too large to represent';
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = flaw(item, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = flaw(key) ?? flaw(item, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * JSON bodies only, up to a size, parsed strictly, and refused with a 4xx
 * problem for every way they can be malformed: never a 500.
 */
export function jsonBody(limitBytes: number) {
  const parse = express.json({ limit: limitBytes, strict: true, type: () => true });
  // One middleware, not a check and a parse: each is a pass through express's router (profiled).
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') return next();
    // No body at all (a POST that is an action, like a forget): no media type to refuse.
    const empty = req.get('content-length') === '0' && req.get('content-type') === undefined;
    if (!empty && !req.is('application/json')) {
      return next(new UnsupportedMediaTypeError('the body must be application/json'));
    }
    parse(req, res, (error?: unknown) => {
      if (error) return next(translate(error, limitBytes));
      const found = flaw(req.body);
      next(found ? new ValidationError(`the JSON body ${found}`, [{ path: '', message: found }]) : undefined);
    });
  };
}

function translate(error: unknown, limitBytes: number): Error {
  const type = (error as { type?: unknown }).type;
  if (type === 'entity.too.large') return new PayloadTooLargeError(`the body exceeds ${limitBytes} bytes`);
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new UnsupportedMediaTypeError('the body must be UTF-8 JSON');
  }
  return new ValidationError('the body is not valid JSON', [{ path: '', message: 'malformed JSON' }]);
}
