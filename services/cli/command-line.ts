import { parseArgs } from 'node:util';

/** A mistake in how the command was typed: nothing ran; exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** For the help: what a string option's value is, e.g. `<file>`. */
  readonly value?: string;
  readonly description: string;
}

export interface ArgumentSpec {
  readonly name: string;
  readonly description: string;
}

export interface CommandInput {
  /** The arguments, by the names the spec gives them. */
  readonly args: Readonly<Record<string, string>>;
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
}

/** One command of the `eventline` binary, as its help describes it and as it is parsed. */
export interface CommandSpec {
  /** The words that name it: ['projections', 'rebuild']. */
  readonly path: readonly string[];
  readonly summary: string;
  readonly args?: readonly ArgumentSpec[];
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** The environment variables it reads, for the help. */
  readonly environment?: readonly string[];
  run(input: CommandInput): Promise<void>;
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

function synopsis(spec: CommandSpec): string {
  const args = (spec.args ?? []).map((arg) => `<${arg.name}>`);
  const options = Object.entries(spec.options ?? {}).map(
    ([name, option]) => `[--${name}${option.type === 'string' ? ` ${option.value ?? '<value>'}` : ''}]`,
  );
  return ['eventline', ...spec.path, ...args, ...options].join(' ');
}

/** A command's help: its synopsis, what it does, its arguments, options and environment. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [`usage: ${synopsis(spec)}`, '', spec.summary];
  const args = spec.args ?? [];
  if (args.length > 0)
    lines.push('', 'arguments:', ...args.map((arg) => `  <${arg.name}>  ${arg.description}`));
  const options = Object.entries(spec.options ?? {});
  lines.push(
    '',
    'options:',
    ...options.map(
      ([name, option]) =>
        `  --${name}${option.type === 'string' ? ` ${option.value ?? '<value>'}` : ''}  ${option.description}`,
    ),
    '  -h, --help  show this help and exit',
  );
  if (spec.environment?.length)
    lines.push('', `environment: ${spec.environment.join(', ')} (X_FILE reads X from a file)`);
  return `${lines.join('\n')}\n`;
}

/** The help of a group of commands, or of them all: one line each. */
export function listHelp(specs: readonly CommandSpec[], prefix: readonly string[], version: string): string {
  const shown = specs.filter((spec) => prefix.every((word, i) => spec.path[i] === word));
  const width = Math.max(...shown.map((spec) => spec.path.join(' ').length));
  const lines = [
    `usage: eventline ${prefix.length ? `${prefix.join(' ')} ` : ''}<command> [arguments] [options]`,
    '',
    ...(prefix.length === 0 ? [`Eventline ${version}: operate an Eventline installation.`, ''] : []),
    'commands:',
    ...shown.map(
      (spec) => `  ${spec.path.join(' ').padEnd(width)}  ${spec.summary.split('. ')[0]?.replace(/\.$/, '')}`,
    ),
    '',
    `Run \`eventline ${prefix.length ? `${prefix.join(' ')} ` : ''}<command> --help\` for a command's arguments and options.`,
    ...(prefix.length === 0
      ? ['  -h, --help     show this help and exit', '  -V, --version  print the version and exit']
      : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** What the command line asks for: a command with its input, or a help or version to print. */
export type Invocation =
  | { readonly kind: 'run'; readonly spec: CommandSpec; readonly input: CommandInput }
  | { readonly kind: 'print'; readonly text: string };

/**
 * Reads argv against the commands' specs, refusing before anything runs what
 * does not fit (an unknown command, option or argument, a missing argument or
 * option value): clig.dev's conventions. `--help`/`-h` anywhere prints help.
 */
export function parseCommandLine(
  argv: readonly string[],
  specs: readonly CommandSpec[],
  version: string,
): Invocation {
  if (argv[0] === '--version' || argv[0] === '-V') return { kind: 'print', text: `${version}\n` };
  const words: string[] = [];
  for (const word of argv) {
    if (word.startsWith('-')) break;
    const candidate = [...words, word];
    if (!specs.some((spec) => candidate.every((part, i) => spec.path[i] === part))) break;
    words.push(word);
  }
  const spec = specs.find(
    (each) => each.path.length === words.length && each.path.every((part, i) => part === words[i]),
  );
  const rest = argv.slice(words.length);
  if (!spec) {
    if (rest.some((arg) => arg === '--help' || arg === '-h'))
      return { kind: 'print', text: listHelp(specs, words, version) };
    const [next] = rest;
    if (next === undefined) {
      const group = words.join(' ');
      throw new UsageError(
        words.length === 0
          ? 'no command given (see eventline --help)'
          : `${group} needs a command (see eventline ${group} --help)`,
      );
    }
    const where = words.length === 0 ? 'command' : `${words.join(' ')} command`;
    throw new UsageError(
      next.startsWith('-')
        ? `unknown option ${next} (see eventline ${words.join(' ')}${words.length ? ' ' : ''}--help)`
        : `unknown ${where} "${next}" (see eventline ${words.join(' ')}${words.length ? ' ' : ''}--help)`,
    );
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...(spec.options ?? {}), ...HELP },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // node:util's messages name the option; the hint is ours.
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`${message} (see eventline ${spec.path.join(' ')} --help)`);
  }
  if (parsed.values.help) return { kind: 'print', text: commandHelp(spec) };
  const wanted = spec.args ?? [];
  if (parsed.positionals.length > wanted.length) {
    throw new UsageError(
      `unexpected argument "${parsed.positionals[wanted.length]}" (see eventline ${spec.path.join(' ')} --help)`,
    );
  }
  const missing = wanted[parsed.positionals.length];
  if (missing)
    throw new UsageError(`<${missing.name}> is required (see eventline ${spec.path.join(' ')} --help)`);
  const args = Object.fromEntries(wanted.map((arg, i) => [arg.name, parsed.positionals[i] as string]));
  const { help: _help, ...options } = parsed.values;
  return { kind: 'run', spec, input: { args, options } };
}
