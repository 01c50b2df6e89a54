import type { z } from 'zod';
import { ValidationError } from '../../platform/errors/index.ts';

/** Parses input with a schema, or throws a ValidationError naming every offending field under `prefix`. */
export function parseWith<T>(schema: z.ZodType<T, unknown>, input: unknown, what: string, prefix = ''): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    `invalid ${what}`,
    result.error.issues.map((issue) => ({
      path: `${prefix}/${issue.path.join('/')}`.replace(/\/$/, '') || '/',
      message: issue.message,
    })),
  );
}
