import { checkpointOfCursor } from '../../eventstore/index.ts';
import { tenantArgument } from '../arguments.ts';
import { type CommandSpec, UsageError } from '../command-line.ts';
import { appendAfter, resumptionOf, writeLine } from '../export-output.ts';
import { GatewayClient, GatewayStreamCutError } from '../gateway-client.ts';

const ENVIRONMENT = ['EVENTLINE_API_URL', 'EVENTLINE_API_TOKEN'];
const PROGRESS_EVERY_MS = 1000;
const CURSOR_IN_LINE = /^\{"kind":"event","cursor":"(\d{20}-\d{20})"/;

/** Events and rows so far, on stderr at most once a second: stdout may be the export itself. */
class Progress {
  events = 0;
  rows = 0;
  private readonly started = Date.now();
  private printedAt = Date.now();

  constructor(private readonly command: string) {}

  tick(): void {
    if (Date.now() - this.printedAt < PROGRESS_EVERY_MS) return;
    this.printedAt = Date.now();
    console.error(`${this.command}: ${this.events} events, ${this.rows} rows (${this.rate()} events/s)`);
  }

  done(resumedAfter: string | undefined): void {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    console.error(
      `${this.command}: ${this.events} events and ${this.rows} rows in ${seconds} s (${this.rate()} events/s)` +
        `${resumedAfter ? `, resumed after ${resumedAfter}` : ''}; complete`,
    );
  }

  private rate(): number {
    return Math.round(this.events / Math.max(0.001, (Date.now() - this.started) / 1000));
  }
}

/**
 * The end line as the file's own: a resumed answer counts only its own event
 * lines, the file holds the kept ones too, and reads as one export.
 */
function endOfFile(line: string, keptEvents: number): string {
  if (keptEvents === 0) return line;
  const end = JSON.parse(line) as { events: number };
  return JSON.stringify({ ...end, events: end.events + keptEvents });
}

/**
 * Streams an export from the gateway to the output, line by line as it
 * arrives. With --output naming a file that holds a cut export (no end line),
 * it goes on after that file's last complete event line. A stream that ends
 * without its end line is a failure saying how to resume.
 */
async function runExport(
  command: string,
  path: string,
  options: { readonly output: string | undefined; readonly after: string | undefined },
): Promise<void> {
  const client = GatewayClient.fromEnvironment();
  let after = options.after;
  let out: NodeJS.WritableStream = process.stdout;
  let keptEvents = 0;
  if (options.output !== undefined) {
    const resumption = await resumptionOf(options.output);
    if (resumption.complete)
      throw new Error(`${options.output} holds a complete export already: remove it, or name another file`);
    if (resumption.after && after)
      throw new UsageError(
        `${options.output} holds a partial export to resume: give --after or that file, not both`,
      );
    after = resumption.after ?? after;
    keptEvents = resumption.eventLines;
    out = await appendAfter(options.output, resumption.keepBytes);
  }
  const progress = new Progress(command);
  let last = after;
  let ended = false;
  try {
    for await (const line of client.lines(path, { query: { after } })) {
      if (line.startsWith('{"kind":"end"')) {
        await writeLine(out, endOfFile(line, keptEvents));
        ended = true;
        continue;
      }
      await writeLine(out, line);
      if (line.startsWith('{"kind":"event"')) {
        progress.events++;
        last = CURSOR_IN_LINE.exec(line)?.[1] ?? last;
      } else if (line.startsWith('{"kind":"row"')) progress.rows++;
      progress.tick();
    }
  } catch (error) {
    // What was written stays: the next run resumes after its last complete event line.
    if (!(error instanceof GatewayStreamCutError)) throw error;
  } finally {
    if (out !== process.stdout) await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  if (!ended) {
    const how =
      options.output !== undefined
        ? `run the same command again to resume`
        : last
          ? `resume with --after ${last}`
          : 'run it again';
    throw new Error(`the export was cut short after ${progress.events} events; ${how}`);
  }
  progress.done(after);
}

export const exportCommands: readonly CommandSpec[] = [
  {
    path: ['tenants', 'export'],
    summary:
      "Exports a tenant's every event in commit order, then its read-model rows, personal data opened, as " +
      'NDJSON (docs/contracts.md §6.1), through the gateway, as its platform admin or the tenant admin. ' +
      'Progress on stderr; with --output, a file holding a cut export is resumed where it stopped.',
    args: [{ name: 'tenant-id', description: "the tenant's UUID" }],
    options: {
      output: {
        type: 'string',
        value: '<file>',
        description: 'write to this file (resumed if it holds a cut export); stdout by default',
      },
      after: {
        type: 'string',
        value: '<cursor>',
        description: 'start after the event line with this cursor',
      },
    },
    environment: ENVIRONMENT,
    async run({ args, options }) {
      const tenant = tenantArgument(String(args['tenant-id']));
      const after = typeof options.after === 'string' ? options.after : undefined;
      if (after !== undefined && !checkpointOfCursor(after))
        throw new UsageError(
          `--after must be an event line's cursor (20 digits, "-", 20 digits), not "${after}"`,
        );
      await runExport('eventline tenants export', GatewayClient.apiPath('tenants', tenant, 'export'), {
        output: typeof options.output === 'string' ? options.output : undefined,
        after,
      });
    },
  },
  {
    path: ['subjects', 'export'],
    summary:
      "Exports one data subject's data in a tenant: the events and read-model rows holding values sealed " +
      'with their keys, opened (forgotten ones read null and are listed as erased), as NDJSON, through the ' +
      'gateway. Progress on stderr; with --output, a file holding a cut export is resumed.',
    args: [
      { name: 'tenant-id', description: "the tenant's UUID" },
      { name: 'subject', description: 'whose data: e.g. a customer id, or contact' },
    ],
    options: {
      output: {
        type: 'string',
        value: '<file>',
        description: 'write to this file (resumed if it holds a cut export); stdout by default',
      },
    },
    environment: ENVIRONMENT,
    async run({ args, options }) {
      const tenant = tenantArgument(String(args['tenant-id']));
      const subject = String(args.subject);
      await runExport(
        'eventline subjects export',
        GatewayClient.apiPath('tenants', tenant, 'subjects', subject, 'export'),
        { output: typeof options.output === 'string' ? options.output : undefined, after: undefined },
      );
    },
  },
];
