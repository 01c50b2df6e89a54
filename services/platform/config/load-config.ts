import { z } from 'zod';

/** A missing or malformed environment variable; its message is the one line an operator reads. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`invalid configuration: ${variable}: ${detail}`);
  }
}

/**
 * Validates the environment against the fields a process needs, failing on the
 * first offending variable. Empty strings count as unset, as shells produce them.
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  source: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<Shape>> {
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const result = z.object(shape).safeParse(present);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  const variable = String(issue?.path[0] ?? 'environment');
  throw new ConfigError(
    variable,
    issue?.code === 'invalid_type' ? 'is required' : (issue?.message ?? 'is invalid'),
  );
}
