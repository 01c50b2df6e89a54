import { readFileSync } from 'node:fs';
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
 * Each variable may come from a file instead: `X_FILE` names it, as Kubernetes
 * Secrets and Docker secrets are mounted. One trailing newline is dropped (what
 * `echo` and most editors add); the value is used as it is otherwise.
 */
function withFileValues(shape: z.ZodRawShape, source: NodeJS.ProcessEnv): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(source))
    if (value !== undefined && value !== '') values[name] = value;
  for (const name of Object.keys(shape)) {
    const file = values[`${name}_FILE`];
    if (file === undefined) continue;
    if (values[name] !== undefined)
      throw new ConfigError(name, `set either ${name} or ${name}_FILE, not both`);
    try {
      values[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ConfigError(`${name}_FILE`, `cannot read ${file} (${reason})`);
    }
  }
  return values;
}

/**
 * Validates the environment against the fields a process needs, failing on the
 * first offending variable. Empty strings count as unset, as shells produce them.
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  source: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<Shape>> {
  const values = withFileValues(shape, source);
  const result = z.object(shape).safeParse(values);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  const variable = String(issue?.path[0] ?? 'environment');
  if (issue?.code !== 'invalid_type') throw new ConfigError(variable, issue?.message ?? 'is invalid');
  // A set value of the wrong type is one a coercion refused (`abc` for a number); it is not echoed,
  // as it may be a secret.
  throw new ConfigError(
    variable,
    values[variable] === undefined ? 'is required' : `must be a ${issue.expected}`,
  );
}
