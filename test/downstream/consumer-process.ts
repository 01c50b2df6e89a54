import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { endpoints } from '../support/endpoints.ts';

/** What both example consumers print (examples/consumers/*): the same shape in Python and Go. */
export interface ConsumerSummary {
  readonly client: string;
  readonly records: number;
  readonly delivered: number;
  readonly duplicates: number;
  readonly behindCheckpoint: number;
  readonly keys: number;
  readonly withTraceparent: number;
  readonly eventTypes: Readonly<Record<string, number>>;
  readonly topics: Readonly<
    Record<string, { readonly records: number; readonly delivered: number; readonly partitions: number }>
  >;
  readonly failureCount: number;
  readonly failures: readonly { topic: string; partition: number; offset: number; reason: string }[];
}

export type ConsumerLanguage = 'python' | 'go';

const ROOT = projectRoot();
const INSTALLED = join(ROOT, '.run', 'downstream');

/** The command line of each example consumer, as scripts/downstream/install.sh leaves them. */
const COMMAND: Readonly<Record<ConsumerLanguage, readonly string[]>> = {
  python: [join(INSTALLED, 'python', 'bin', 'python'), join(ROOT, 'examples/consumers/python/consumer.py')],
  go: [join(INSTALLED, 'go-consumer')],
};

const RUN_DEADLINE_MS = 120_000;

/** Installs (or finds installed) both consumers: a venv and a `go build`, each a no-op when up to date. */
export async function installConsumers(): Promise<string> {
  const { code, stdout, stderr } = await run(
    ['bash', join(ROOT, 'scripts/downstream/install.sh')],
    {},
    900_000,
  );
  if (code !== 0) throw new Error(`scripts/downstream/install.sh failed (${code}): ${stderr || stdout}`);
  return stdout.trim();
}

/**
 * Runs one consumer over the topics with nothing but the brokers and the registry URL, as a
 * downstream team would; its summary and exit code.
 */
export async function runConsumer(
  language: ConsumerLanguage,
  topics: readonly string[],
  options: { checkpoints?: string } = {},
): Promise<{ code: number | null; summary: ConsumerSummary; stderr: string }> {
  const [command = '', ...args] = COMMAND[language];
  const flags = options.checkpoints
    ? language === 'go'
      ? ['-checkpoints', options.checkpoints]
      : ['--checkpoints', options.checkpoints]
    : [];
  const { code, stdout, stderr } = await run([command, ...args, ...flags, ...topics], {
    KAFKA_BROKERS: endpoints().kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: endpoints().schemaRegistryUrl,
  });
  let summary: ConsumerSummary;
  try {
    summary = JSON.parse(stdout) as ConsumerSummary;
  } catch {
    throw new Error(`the ${language} consumer printed no summary (exit ${code}): ${stderr}${stdout}`);
  }
  return { code, summary, stderr };
}

function run(
  [command = '', ...args]: readonly string[],
  env: Record<string, string>,
  deadlineMs = RUN_DEADLINE_MS,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      // The machine's own settings (package indexes, proxies, caches) reach pip and go.
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ran past ${deadlineMs} ms: ${Buffer.concat(err).toString()}`));
    }, deadlineMs);
    child.once('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}
