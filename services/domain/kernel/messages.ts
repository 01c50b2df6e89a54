interface Issue {
  readonly code?: string;
  readonly input?: unknown;
  readonly expected?: string;
  readonly keys?: readonly string[];
}

/**
 * The errors of a typed value in a command's schema: "is required" when absent,
 * "must be <what>" when of another type, and the unknown fields of an object.
 * Messages name no field: the gateway reports each issue with its path. Any
 * other issue keeps the message its own check gives.
 */
export function expecting(what: string): { error: (issue: Issue) => string | undefined } {
  return {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys')
        return `Unrecognized key(s) in object: ${(issue.keys ?? []).map((key) => `'${key}'`).join(', ')}`;
      if (issue.code !== 'invalid_type') return undefined;
      if (issue.input === undefined) return 'is required';
      // NaN and ±Infinity are numbers that z.number() refuses as of another type.
      return issue.expected === 'number' && typeof issue.input === 'number'
        ? 'must be a finite number'
        : `must be ${what}`;
    },
  };
}
