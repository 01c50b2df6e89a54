import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { freePort } from './ports.ts';
import { waitFor } from './wait.ts';

const run = promisify(execFile);

/** One series of an instant query's answer. */
export interface InstantSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: readonly [number, string];
}

/** Prometheus' HTTP API answer: `data` on success, `errorType`/`error` otherwise. */
export interface ApiAnswer<T> {
  readonly status: 'success' | 'error';
  readonly data?: T;
  readonly errorType?: string;
  readonly error?: string;
}

export interface ActiveTarget {
  readonly labels: Readonly<Record<string, string>>;
  readonly scrapePool: string;
  readonly scrapeUrl: string;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
  readonly lastScrape: string;
}

export interface RuleState {
  readonly name: string;
  readonly query: string;
  readonly type: 'alerting' | 'recording';
  readonly health: 'ok' | 'err' | 'unknown';
  readonly lastError?: string;
  readonly lastEvaluation: string;
}

export interface PrometheusServer {
  readonly url: string;
  /** Every line it logged so far. */
  readonly output: readonly string[];
  /** GET /api/v1/query: the answer as it came, an error answer included. */
  query(expr: string): Promise<ApiAnswer<{ resultType: string; result: InstantSample[] }>>;
  /** GET /api/v1/targets: the active targets. */
  targets(): Promise<ActiveTarget[]>;
  /** GET /api/v1/rules: every rule of every group, as last evaluated. */
  rules(): Promise<RuleState[]>;
  /** GET /api/v1/labels: every label name stored, or only those of series matching `match`. */
  labelNames(match?: string): Promise<string[]>;
  /** GET /api/v1/label/<label>/values, of the series matching `match`. */
  labelValues(label: string, match: string): Promise<string[]>;
  /** SIGTERM, SIGKILL after 10 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * The directory holding `prometheus` and `promtool` of the Debian package
 * prometheus, unpacked under .run/packaging/ by scripts/packaging/prometheus.sh
 * (fetched with `apt-get download` on first use; nothing installed system-wide).
 */
export async function prometheusBinaries(): Promise<string> {
  const { stdout } = await run('bash', [join(projectRoot(), 'scripts/packaging/prometheus.sh')], {
    timeout: 300_000,
  });
  return stdout.trim().split('\n').at(-1) ?? '';
}

/**
 * A Prometheus server of the caller's own: `config` (a prometheus.yml as an
 * object) and `files` (rules files, by name) written into `workDir`, its TSDB in
 * `workDir/data`, listening on a free loopback port. Never the system service.
 * Resolves once /-/ready answers.
 */
export async function startPrometheusServer(options: {
  workDir: string;
  config: Record<string, unknown>;
  files?: Readonly<Record<string, string>>;
}): Promise<PrometheusServer> {
  const binary = join(await prometheusBinaries(), 'prometheus');
  mkdirSync(join(options.workDir, 'data'), { recursive: true });
  for (const [name, text] of Object.entries(options.files ?? {}))
    writeFileSync(join(options.workDir, name), text);
  const configFile = join(options.workDir, 'prometheus.yml');
  writeFileSync(configFile, stringify(options.config));
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(options.workDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // The Debian build's defaults point at /etc/prometheus; nothing here reads them.
      `--web.console.templates=${options.workDir}`,
      `--web.console.libraries=${options.workDir}`,
    ],
    { cwd: options.workDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => output.push(line));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const api = async <T>(path: string): Promise<ApiAnswer<T>> =>
    (await (await fetch(`${url}${path}`)).json()) as ApiAnswer<T>;
  const data = async <T>(path: string): Promise<T> => {
    const answer = await api<T>(path);
    if (answer.status !== 'success' || answer.data === undefined)
      throw new Error(`${path}: ${answer.errorType}: ${answer.error}`);
    return answer.data;
  };
  const server: PrometheusServer = {
    url,
    output,
    query: (expr) => api(`/api/v1/query?query=${encodeURIComponent(expr)}`),
    targets: async () => (await data<{ activeTargets: ActiveTarget[] }>('/api/v1/targets')).activeTargets,
    rules: async () =>
      (await data<{ groups: { rules: RuleState[] }[] }>('/api/v1/rules')).groups.flatMap(
        (group) => group.rules,
      ),
    labelNames: (match) => data(`/api/v1/labels${match ? `?match[]=${encodeURIComponent(match)}` : ''}`),
    labelValues: (label, match) =>
      data(`/api/v1/label/${encodeURIComponent(label)}/values?match[]=${encodeURIComponent(match)}`),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const ready = waitFor(
    'Prometheus to answer /-/ready',
    async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined),
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  ready.catch(() => undefined);
  const outcome = await Promise.race([ready, exited.then(() => 'exited' as const)]).catch(
    (error: unknown) => error as Error,
  );
  if (outcome !== true) {
    await server.stop();
    const why = outcome === 'exited' ? `prometheus exited ${child.exitCode}` : outcome.message;
    throw new Error(`${why}; its last lines:\n${output.slice(-20).join('\n')}`);
  }
  return server;
}
