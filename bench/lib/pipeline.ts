/**
 * The whole pipeline for a scenario of its own: gateway, relay and projector as
 * separate processes from dist/ (as scripts/stack/services.sh starts them),
 * against a database and Kafka topic prefix of the scenario's own, on the
 * stack's PostgreSQL, Redis, Kafka and registry.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { applyTopology, loadTopology } from '../../services/messaging/index.ts';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { asAdmin, createDatabase, type BenchDatabase, type Endpoints, withDatabase } from './databases.ts';
import { chartMemoryLimit, MemoryLimit } from './memory-limit.ts';
import { freePort, sleep, stackSetting } from './stack.ts';

export const SERVICES = ['gateway', 'relay', 'projector'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Resolves once `url` answers 2xx; fails when the process exits first or at the deadline. */
export async function ready(
  url: string,
  what: string,
  timeoutMs: number,
  exited: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited()) throw new Error(`${what} exited while starting`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer ${url} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** CPU time and memory of one process, from /proc (Linux). */
export interface ProcessUsage {
  /** user + system CPU time since the process started, in seconds */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  /** peak resident set size since the process started (VmHWM) */
  readonly peakRssBytes: number;
  /**
   * The part of RSS mapped from files now (RssFile): the Node binary's and its libraries' code and
   * data as far as touched. Shared and reclaimable, yet counted in every RSS, the peak's included;
   * it only grows while a process runs, so now is about its share of the peak.
   */
  readonly fileRssBytes: number;
}

export const CLOCK_TICKS_PER_SECOND = 100;

/** A process's CPU time so far, user and system, in clock ticks. */
export function cpuTicksOf(pid: number): number {
  // Fields after the command name, which is in parentheses and may hold spaces.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5); fields[0] is field 3.
  return Number(fields[11]) + Number(fields[12]);
}

export function usageOf(pid: number): ProcessUsage {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  return {
    cpuSeconds: cpuTicksOf(pid) / CLOCK_TICKS_PER_SECOND,
    rssBytes: kib('VmRSS'),
    peakRssBytes: kib('VmHWM'),
    fileRssBytes: kib('RssFile'),
  };
}

export interface ServiceProcess {
  readonly name: ServiceName;
  readonly pid: number;
  readonly port: number;
  usage(): ProcessUsage;
  stop(): Promise<void>;
}

/** Two malloc arenas for every service process, as the image sets (Dockerfile). */
export const ALLOCATOR_ENV = { MALLOC_ARENA_MAX: '2' } as const;

/** Service processes still running: killed if the benchmark exits without stopping them (a crash). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Node flags a service runs with wherever it is started: the relay's as in scripts/stack/services.sh and the chart. */
export const SERVICE_NODE_FLAGS: Readonly<Record<ServiceName, readonly string[]>> = {
  // 8 MiB semi-spaces: less GC per command within the chart's memory limit (docs/performance.md).
  gateway: ['--max-semi-space-size=8'],
  // A 2 MiB young generation semi-space keeps the relay's memory down (docs/relay.md, "Memory").
  relay: ['--max-semi-space-size=2'],
  // 8 MiB semi-spaces: less GC and memory in a catch-up, within the chart's limit too (docs/projector.md, "Memory").
  projector: ['--max-semi-space-size=8'],
};

/**
 * `BENCH_CPU_PROF=<directory>` (`make bench PROFILE=1`): every service process (and floor,
 * bench/lib/floor-process.ts) runs under `node --cpu-prof`, writing its profile into
 * `<directory>/<name>/` when the run stops it. `BENCH_PERF_JIT_DIR=<directory>` (`make bench
 * PROFILE=perf`): each writes a jitdump (`jit-<pid>.dump`) there, which `perf inject --jit` turns
 * into names for its JavaScript and V8's built-ins in a Linux `perf record` (bench/perf-report.ts).
 * A jitdump, not a /tmp/perf-<pid>.map: V8 reuses the addresses of code it frees, and a map keeps
 * every name an address ever had, where the dump says which one held at each sample's time.
 */
export function profiling(name: string): readonly string[] {
  const directory = process.env.BENCH_CPU_PROF;
  const jitDirectory = process.env.BENCH_PERF_JIT_DIR;
  return [
    ...(directory ? ['--cpu-prof', `--cpu-prof-dir=${join(directory, name)}`] : []),
    ...(jitDirectory
      ? [
          '--perf-prof',
          `--perf-prof-path=${jitDirectory}`,
          // Interpreted functions get frames of their own too, not only the interpreter's.
          '--interpreted-frames-native-stack',
          // V8 also logs code events with it: to a file of its own per process, not an isolate-*.log in the cwd.
          '--no-logfile-per-isolate',
          `--logfile=${join(tmpdir(), `eventline-v8-${name}.log`)}`,
        ]
      : []),
  ];
}

/** How a service's command line is run: as it is, or wrapped (in a memory cgroup, MemoryLimit). */
export type Launch = (command: string, args: readonly string[]) => [string, string[]];

/** A service from dist/ as its own process; resolves once it answers /ready on `port`. */
export function startService(
  name: ServiceName,
  env: Record<string, string>,
  port: number,
  nodeOptions: readonly string[] = [],
  launch: Launch = (command, args) => [command, [...args]],
): Promise<ServiceProcess> {
  const main = join(projectRoot(), 'dist', 'services', name, 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -p tsconfig.build.json)`);
  const [command, args] = launch(process.execPath, [
    ...SERVICE_NODE_FLAGS[name],
    ...profiling(name),
    ...nodeOptions,
    main,
  ]);
  const child: ChildProcess = spawn(command, args, {
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      ...ALLOCATOR_ENV,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  live.add(child);
  let gone = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      gone = true;
      live.delete(child);
      resolve();
    }),
  );
  const stop = async () => {
    if (!gone) child.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000).then(() => !gone && child.kill('SIGKILL'))]);
    await exited;
  };
  const pid = child.pid ?? Number.NaN;
  return ready(`http://127.0.0.1:${port}/ready`, name, 60_000, () => gone).then(
    () => ({ name, pid, port, usage: () => usageOf(pid), stop }),
    async (error: unknown) => {
      await stop();
      throw error;
    },
  );
}

export interface Pipeline {
  readonly gatewayUrl: string;
  /** The gateway's ops port: /ready and /metrics. */
  readonly gatewayOpsUrl: string;
  readonly database: BenchDatabase;
  readonly services: Readonly<Record<ServiceName, ServiceProcess>>;
  /** The PostgreSQL login each service connects as. */
  readonly logins: Readonly<Record<ServiceName, string>>;
  /** Each service's memory cgroup limit in bytes (the chart's); empty when the machine allows none. */
  readonly memoryLimits: Readonly<Partial<Record<ServiceName, number>>>;
  /** An API key (writer) of a tenant of the pipeline's own, with quotas far above any load here. */
  readonly apiKey: string;
  readonly tenantId: string;
  stop(): Promise<void>;
}

async function json(response: Response, what: string): Promise<Record<string, unknown>> {
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${what}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** A bench tenant on the enterprise plan whose quotas no scenario here can reach. */
async function benchTenant(
  gatewayUrl: string,
  adminToken: string,
): Promise<{ tenantId: string; apiKey: string }> {
  const admin = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const created = await json(
    await fetch(`${gatewayUrl}/api/v1/tenants`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'bench', plan: 'enterprise' }),
    }),
    'creating the bench tenant',
  );
  const tenantId = String(created.tenantId);
  await json(
    await fetch(`${gatewayUrl}/api/v1/tenants/${tenantId}/commands/execute`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({
        type: 'SetTenantQuota',
        payload: { commandsPerMinute: 1_000_000, maxBurst: 1_000_000, eventsPerDay: 1_000_000_000 },
      }),
    }),
    "raising the bench tenant's quota",
  );
  return { tenantId, apiKey: String(created.apiKey) };
}

export interface PipelineOptions {
  /** Extra node flags for the gateway process (e.g. --cpu-prof). */
  readonly gatewayNodeOptions?: readonly string[];
  readonly log?: (line: string) => void;
}

/**
 * A memory cgroup per service at the chart's `<service>.resources.limits.memory`,
 * so the pipeline runs as its pods do: V8 sizes each heap from the limit, and a
 * service that needs more is killed as Kubernetes would kill it. None at all
 * where the machine cannot make one (not root, no memory controller): the
 * pipeline then runs without limits, and the results say so.
 */
function chartMemoryLimits(label: string): Partial<Record<ServiceName, MemoryLimit>> | string {
  const limits: Partial<Record<ServiceName, MemoryLimit>> = {};
  for (const name of SERVICES) {
    const limit = MemoryLimit.create(`${label}-${name}`, chartMemoryLimit(name));
    if (typeof limit === 'string') {
      for (const made of Object.values(limits)) made.remove(() => undefined);
      return limit;
    }
    limits[name] = limit;
  }
  return limits;
}

export async function startPipeline(
  at: Endpoints,
  label: string,
  options: PipelineOptions = {},
): Promise<Pipeline> {
  const database = await createDatabase(at, label, { migrated: true });
  const prefix = `bench_${label}_${Date.now().toString(36)}.`;
  const brokers = stackSetting('KAFKA_BROKERS');
  const kafka = new Kafka({ brokers: brokers.split(','), clientId: 'bench', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const topology = await loadTopology(prefix);
  const log = options.log ?? (() => undefined);
  const made = chartMemoryLimits(label);
  const limits = typeof made === 'string' ? {} : made;
  if (typeof made === 'string') log(`pipeline: without the chart's memory limits: ${made}`);
  const launchIn = (name: ServiceName): Launch | undefined => {
    const limit = limits[name];
    return limit && ((command, args) => limit.wrap(command, args));
  };
  const running: ServiceProcess[] = [];
  const cleanUp = async () => {
    await Promise.all(running.map((service) => service.stop()));
    for (const limit of Object.values(limits)) limit.remove(log);
    await admin
      .deleteTopics({
        topics: [...topology.eventTopics.values(), ...topology.deadLetterTopics].map((t) => t.topic),
      })
      .catch(() => undefined);
    await admin.disconnect();
    await database.drop();
  };
  try {
    await admin.connect();
    await applyTopology(admin, topology);
    const adminToken = randomBytes(24).toString('hex');
    const shared = {
      KAFKA_BROKERS: brokers,
      SCHEMA_REGISTRY_URL: stackSetting('SCHEMA_REGISTRY_URL'),
      KAFKA_TOPIC_PREFIX: prefix,
    };
    const [gatewayPort, gatewayOpsPort, relayPort, projectorPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const started = (service: ServiceProcess) => {
      running.push(service);
      return service;
    };
    const [gateway, relay, projector] = await Promise.all([
      startService(
        'gateway',
        {
          DATABASE_URL: database.appUrl,
          REDIS_URL: stackSetting('REDIS_URL'),
          ADMIN_TOKEN: adminToken,
          PORT: String(gatewayPort),
          GATEWAY_OPS_PORT: String(gatewayOpsPort),
        },
        gatewayPort,
        options.gatewayNodeOptions ?? [],
        launchIn('gateway'),
      ).then(started),
      startService(
        'relay',
        {
          ...shared,
          DATABASE_URL: withDatabase(stackSetting('RELAY_DATABASE_URL'), database.name),
          RELAY_PORT: String(relayPort),
        },
        relayPort,
        [],
        launchIn('relay'),
      ).then(started),
      startService(
        'projector',
        {
          ...shared,
          DATABASE_URL: withDatabase(stackSetting('PROJECTOR_DATABASE_URL'), database.name),
          PROJECTOR_PORT: String(projectorPort),
        },
        projectorPort,
        [],
        launchIn('projector'),
      ).then(started),
    ]);
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const tenant = await benchTenant(gatewayUrl, adminToken);
    return {
      gatewayUrl,
      gatewayOpsUrl: `http://127.0.0.1:${gatewayOpsPort}`,
      database,
      services: { gateway, relay, projector },
      logins: {
        gateway: loginOf(database.appUrl),
        relay: loginOf(stackSetting('RELAY_DATABASE_URL')),
        projector: loginOf(stackSetting('PROJECTOR_DATABASE_URL')),
      },
      memoryLimits: Object.fromEntries(Object.entries(limits).map(([name, limit]) => [name, limit.bytes])),
      ...tenant,
      stop: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

function loginOf(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).username);
}

let shared: Promise<Pipeline> | undefined;

/**
 * One pipeline for the scenarios of a run that can share it (starting one takes
 * seconds): started by the first caller, with that caller's options, and ended by
 * stopSharedPipeline() when the run is over.
 */
export function sharedPipeline(at: Endpoints, options: PipelineOptions = {}): Promise<Pipeline> {
  shared ??= startPipeline(at, 'pipeline', options);
  return shared;
}

export async function stopSharedPipeline(): Promise<void> {
  const pipeline = await shared?.catch(() => undefined);
  shared = undefined;
  await pipeline?.stop();
}

/**
 * ANALYZE of the pipeline's database, for a scenario to run after its warm-up.
 * A new database has no statistics until autovacuum's first analyze, up to a
 * minute in, and without them PostgreSQL picks among indexes that lead with the
 * tenant by a cost tie: a GetOrder then read every order of the tenant through
 * orders_by_customer (docs/performance.md). A database in service has them.
 */
export async function analyzeAfterWarmUp(pipeline: Pipeline): Promise<void> {
  await asAdmin(pipeline.database.adminUrl, 'ANALYZE');
}

/**
 * The connection pools a service process actually runs with: each db_pool_size
 * series of its /metrics, as "<component>/<pool>" (e.g. "gateway/main": 20), so
 * results record what the pools were rather than what a scenario assumed.
 */
export async function poolSizesAt(opsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const sizes: Record<string, number> = {};
  for (const match of text.matchAll(/^db_pool_size\{([^}]*)\} (\d+)/gm)) {
    const labels = match[1] ?? '';
    const pool = /pool="([^"]*)"/.exec(labels)?.[1] ?? 'main';
    const component = /component="([^"]*)"/.exec(labels)?.[1] ?? 'service';
    sizes[`${component}/${pool}`] = Number(match[2]);
  }
  return sizes;
}

/**
 * A service's event-loop delay (ms) since the last time its /metrics were read
 * (prom-client resets its histogram on each collection), as p50 and p99; the
 * figures include the monitor's 10 ms resolution, so an idle loop reads about 10.
 */
export async function eventLoopDelayAt(opsUrl: string): Promise<{ p50: number; p99: number }> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const seconds = (quantile: string) =>
    Number(
      new RegExp(`^nodejs_eventloop_lag_${quantile}_seconds(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1],
    );
  return { p50: seconds('p50') * 1000, p99: seconds('p99') * 1000 };
}

/** Commands the gateway has answered so far, from its /metrics. */
async function commandsAnswered(gatewayOpsUrl: string): Promise<number> {
  const text = await (await fetch(`${gatewayOpsUrl}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(
    /^http_requests_total\{[^}]*route="\/api\/v1\/commands\/execute"[^}]*\} (\d+)/gm,
  )) {
    total += Number(match[1]);
  }
  return total;
}

/**
 * Waits until the gateway has stopped answering commands: a load generator that
 * ends a round gives up on requests still in flight, which the gateway finishes
 * anyway, and the next round must not queue behind them.
 */
export async function settle(pipeline: Pipeline, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let before = await commandsAnswered(pipeline.gatewayOpsUrl);
  while (Date.now() < deadline) {
    await sleep(200);
    const now = await commandsAnswered(pipeline.gatewayOpsUrl);
    if (now === before) return;
    before = now;
  }
}
