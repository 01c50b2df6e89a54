/** The value after `--name` in a subcommand's arguments; a flag given without one is an error naming the usage. */
export function option(args: readonly string[], name: string, usage: string): string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1];
  if (value === undefined) throw new Error(`${name} needs a value; ${usage}`);
  return value;
}
