/**
 * End to end (issue 9): from a PlaceOrder's HTTP 2xx to its row in the orders
 * read model, at fixed command rates, with the whole pipeline running (gateway
 * → event store → relay → Kafka → projector → readmodels.orders); and (issue 20)
 * to a sample of the orders read back through a query with X-Min-Position. No peer.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { announcementChannel } from '../../services/querycache/index.ts';
import type { Endpoints } from '../lib/databases.ts';
import { pacedLoad } from '../lib/paced-load.ts';
import { postgresBackends, postgresCpuSince } from '../lib/postgres-cpu.ts';
import {
  analyzeAfterWarmUp,
  eventLoopDelayAt,
  poolSizesAt,
  SERVICES,
  type ServiceName,
  settle,
  sharedPipeline,
} from '../lib/pipeline.ts';
import {
  figure,
  NO_PEER,
  notJudged,
  RATE_REACHED,
  type ScenarioResult,
  type TargetCheck,
} from '../lib/report.ts';
import { sleep, stackSetting } from '../lib/stack.ts';
import { percentiles } from '../lib/stats.ts';
import { placeOrder } from './gateway.ts';

/**
 * Without an announcement heard, how often the benchmark looks for accepted
 * orders in the read model anyway (a lost announcement delays a lookup by at
 * most this long).
 */
const UNANNOUNCED_LOOK_MS = 20;

/**
 * Accepted orders not yet seen in readmodels.orders, looked up together (as
 * the database's owner, so row-level security does not hide them) through the
 * primary key, the tenant and the order ids, each time the projector announces
 * a round of the tenant's orders on Redis (what read-your-writes waits on), and
 * every UNANNOUNCED_LOOK_MS without one. The row found is what is timed, not the
 * announcement. Looking every 2 ms instead took 500 queries a second at 500
 * commands/s, some 9 % of the two cores in PostgreSQL alone, taken from the
 * pipeline it measures.
 */
class ReadModelWatch {
  private readonly pending = new Map<string, number>();
  private readonly latencies: number[] = [];
  private running = true;
  private announced = false;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;
  private failure: unknown;

  constructor(
    private readonly client: pg.Client,
    private readonly subscriber: Redis,
    private readonly tenantId: string,
  ) {
    const line = `orders ${tenantId} `;
    subscriber.on('message', (_channel: string, message: string) => {
      if (message.startsWith(line) || message.includes(`\n${line}`)) this.heard();
    });
    // A lost subscription only leaves the looks every UNANNOUNCED_LOOK_MS; ioredis reconnects.
    subscriber.on('error', () => undefined);
    this.loop = this.poll();
  }

  static async open(adminUrl: string, redisUrl: string, tenantId: string): Promise<ReadModelWatch> {
    const client = new pg.Client({ connectionString: adminUrl });
    const subscriber = new Redis(redisUrl, { lazyConnect: true });
    try {
      await client.connect();
      await subscriber.connect();
      await subscriber.subscribe(announcementChannel());
    } catch (error) {
      subscriber.disconnect();
      await client.end().catch(() => undefined);
      throw error;
    }
    return new ReadModelWatch(client, subscriber, tenantId);
  }

  accepted(body: string): void {
    const { aggregateId } = JSON.parse(body) as { aggregateId: string };
    this.pending.set(aggregateId, performance.now());
  }

  get outstanding(): number {
    if (this.failure !== undefined) throw this.failure;
    return this.pending.size;
  }

  /** The latencies (ms) seen since the last call. */
  take(): number[] {
    return this.latencies.splice(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.heard();
    await this.loop;
    this.subscriber.disconnect();
    await this.client.end();
  }

  private heard(): void {
    this.announced = true;
    this.wake?.();
  }

  private async poll(): Promise<void> {
    try {
      await this.pollUntilStopped();
    } catch (error) {
      this.failure = error;
    }
  }

  private async pollUntilStopped(): Promise<void> {
    while (this.running) {
      this.announced = false;
      if (this.pending.size > 0) {
        const { rows } = await this.client.query<{ order_id: string }>({
          // Named: parsed and planned once, not at every look.
          name: 'read-model-watch',
          text: 'SELECT order_id::text FROM readmodels.orders WHERE tenant_id = $1 AND order_id = ANY($2::uuid[])',
          values: [this.tenantId, [...this.pending.keys()]],
        });
        const seenAt = performance.now();
        for (const { order_id: id } of rows) {
          const acceptedAt = this.pending.get(id);
          if (acceptedAt === undefined) continue;
          this.latencies.push(seenAt - acceptedAt);
          this.pending.delete(id);
        }
      }
      // An announcement heard during the query is looked at at once.
      if (!this.announced) await this.announcementOrTimeout();
    }
  }

  private announcementOrTimeout(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, UNANNOUNCED_LOOK_MS);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => {
      this.wake = undefined;
    });
  }
}

/**
 * The most commands in flight at once; a command due while all are busy waits
 * for one. 64, as the gateway's fixed-rate round: with 32, 1,000/s needs
 * answers within 32 ms (Little's law), which a loaded gateway does not give,
 * so the generator's own cap could be what the round measured.
 */
const CONNECTIONS = 64;

/** Every READ_YOUR_WRITES_EVERY-th accepted order is also read back through the gateway with X-Min-Position. */
const READ_YOUR_WRITES_EVERY = 10;

/**
 * Read-your-writes as a client sees it: a GetOrder with X-Min-Position (the
 * command's position) sent as soon as the command's 2xx is read, timed from
 * that 2xx to the query's 200. Sampled, so the queries add a tenth to the load.
 */
class ReadYourWritesProbe {
  private seen = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly latencies: number[] = [];
  private failures = 0;

  constructor(
    private readonly gatewayUrl: string,
    private readonly apiKey: string,
  ) {}

  accepted(body: string): void {
    if (this.seen++ % READ_YOUR_WRITES_EVERY !== 0) return;
    const acceptedAt = performance.now();
    const { aggregateId, position } = JSON.parse(body) as { aggregateId: string; position: number };
    const asked = this.ask(aggregateId, position, acceptedAt);
    this.inFlight.add(asked);
    void asked.finally(() => this.inFlight.delete(asked));
  }

  get outstanding(): number {
    return this.inFlight.size;
  }

  /** The latencies (ms) and failed queries since the last call. */
  take(): { latencies: number[]; failures: number } {
    const failures = this.failures;
    this.failures = 0;
    return { latencies: this.latencies.splice(0), failures };
  }

  private async ask(orderId: string, position: number, acceptedAt: number): Promise<void> {
    try {
      const response = await fetch(`${this.gatewayUrl}/api/v1/queries/execute`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': this.apiKey,
          'x-min-position': String(position),
          'x-wait-timeout-ms': '30000',
        },
        body: JSON.stringify({ type: 'GetOrder', params: { orderId } }),
      });
      await response.arrayBuffer();
      if (response.status === 200) this.latencies.push(performance.now() - acceptedAt);
      else this.failures++;
    } catch {
      this.failures++;
    }
  }
}

async function drained(watch: ReadModelWatch, probe: ReadYourWritesProbe, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (watch.outstanding > 0 || probe.outstanding > 0) {
    if (Date.now() > deadline) {
      throw new Error(
        `${watch.outstanding} accepted orders not in the read model, ${probe.outstanding} queries unanswered, after ${timeoutMs} ms`,
      );
    }
    await sleep(10);
  }
}

function failed(error: unknown): string {
  return `failed: ${error instanceof Error ? error.message : String(error)}`;
}

export async function endToEndScenarios(options: {
  readonly quick: boolean;
  readonly endpoints: Endpoints;
  readonly log: (line: string) => void;
}): Promise<ScenarioResult[]> {
  const { quick, log } = options;
  // 50/s leaves the two cores mostly idle: what the design's latency is when no hop waits for a core.
  const rates = [50, 200, 500, 1_000];
  const rounds = quick ? 1 : 3;
  const seconds = quick ? 2 : 8;
  type Series = {
    p50: number[];
    p99: number[];
    rate: number[];
    failed: number[];
    rywP50: number[];
    rywP99: number[];
    rywFailed: number[];
    loopDelayP50: number[];
    loopDelayP99: number[];
  } & Record<`${ServiceName}Cpu` | `${ServiceName}PostgresCpu`, number[]>;
  const measured = new Map<number, Series | string>();

  let watch: ReadModelWatch | undefined;
  // The pools the pipeline's processes ran with, read from their /metrics.
  let pools: Record<string, number> = {};
  let memoryLimits: Readonly<Record<string, number>> = {};
  try {
    const pipeline = await sharedPipeline(options.endpoints, { log });
    memoryLimits = pipeline.memoryLimits;
    pools = {
      ...(await poolSizesAt(pipeline.gatewayOpsUrl)),
      ...(await poolSizesAt(`http://127.0.0.1:${pipeline.services.relay.port}`)),
      ...(await poolSizesAt(`http://127.0.0.1:${pipeline.services.projector.port}`)),
    };
    const watching = await ReadModelWatch.open(
      pipeline.database.adminUrl,
      stackSetting('REDIS_URL'),
      pipeline.tenantId,
    );
    watch = watching;
    const probe = new ReadYourWritesProbe(pipeline.gatewayUrl, pipeline.apiKey);
    const run = async (rate: number, duration: number) => {
      const before = SERVICES.map((name) => pipeline.services[name].usage().cpuSeconds);
      const backendsBefore = postgresBackends(pipeline.database.name);
      // Read once to start the gateway's event-loop delay afresh for the load.
      await eventLoopDelayAt(pipeline.gatewayOpsUrl);
      const result = await pacedLoad({
        url: pipeline.gatewayUrl,
        rate,
        duration,
        connections: CONNECTIONS,
        request: (n) => placeOrder(pipeline, n),
        onResponse: (status, body) => {
          if (status < 200 || status >= 300) return;
          watching.accepted(body);
          probe.accepted(body);
        },
      });
      const loopDelay = await eventLoopDelayAt(pipeline.gatewayOpsUrl);
      await settle(pipeline);
      await drained(watching, probe, 60_000);
      // Until every accepted order is visible: each service's whole work for the round's commands.
      const cpuMsPerCommand = SERVICES.map(
        (name, index) =>
          ((pipeline.services[name].usage().cpuSeconds - (before[index] ?? 0)) * 1000) /
          Math.max(1, result['2xx']),
      );
      // PostgreSQL is the machine's largest consumer at these rates; each service's share of it, by its login.
      const backendsAfter = postgresBackends(pipeline.database.name);
      const postgresSeconds = postgresCpuSince(backendsBefore, backendsAfter);
      const postgresMsPerCommand = SERVICES.map((name) =>
        backendsAfter.size === 0
          ? Number.NaN
          : ((postgresSeconds.get(pipeline.logins[name]) ?? 0) * 1000) / Math.max(1, result['2xx']),
      );
      return {
        result,
        latencies: watching.take(),
        readYourWrites: probe.take(),
        cpuMsPerCommand,
        postgresMsPerCommand,
        loopDelay,
      };
    };
    await settle(pipeline);
    log('end to end: pipeline up; warming up');
    await run(200, 1);
    await analyzeAfterWarmUp(pipeline);
    for (const rate of rates) {
      const series: Series = {
        p50: [],
        p99: [],
        rate: [],
        failed: [],
        rywP50: [],
        rywP99: [],
        rywFailed: [],
        loopDelayP50: [],
        loopDelayP99: [],
        gatewayCpu: [],
        relayCpu: [],
        projectorCpu: [],
        gatewayPostgresCpu: [],
        relayPostgresCpu: [],
        projectorPostgresCpu: [],
      };
      try {
        for (let round = 0; round < rounds; round++) {
          const { result, latencies, readYourWrites, cpuMsPerCommand, postgresMsPerCommand, loopDelay } =
            await run(rate, seconds);
          for (const [index, name] of SERVICES.entries()) {
            series[`${name}Cpu`].push(cpuMsPerCommand[index] ?? NaN);
            series[`${name}PostgresCpu`].push(postgresMsPerCommand[index] ?? NaN);
          }
          const { p50, p99 } = percentiles(Float64Array.from(latencies));
          series.p50.push(p50);
          series.p99.push(p99);
          series.rate.push(result['2xx'] / result.duration);
          series.failed.push(result.non2xx + result.errors);
          const ryw = percentiles(Float64Array.from(readYourWrites.latencies));
          series.rywP50.push(ryw.p50);
          series.rywP99.push(ryw.p99);
          series.rywFailed.push(readYourWrites.failures);
          series.loopDelayP50.push(loopDelay.p50);
          series.loopDelayP99.push(loopDelay.p99);
        }
        measured.set(rate, series);
        const ms = (values: number[]) => values.map((v) => v.toFixed(1)).join(', ');
        log(`end to end at ${rate}/s: p50 ${ms(series.p50)} ms, p99 ${ms(series.p99)} ms`);
        log(
          `read-your-writes at ${rate}/s: p50 ${ms(series.rywP50)} ms, p99 ${ms(series.rywP99)} ms, ` +
            `failed ${series.rywFailed.join(', ')}`,
        );
        log(
          `gateway event-loop delay at ${rate}/s: p50 ${ms(series.loopDelayP50)} ms, ` +
            `p99 ${ms(series.loopDelayP99)} ms`,
        );
        log(
          `CPU per command at ${rate}/s: ` +
            SERVICES.map(
              (name) => `${name} ${series[`${name}Cpu`].map((v) => v.toFixed(2)).join(', ')} ms`,
            ).join(', '),
        );
        log(
          `PostgreSQL CPU per command at ${rate}/s, by the services' logins: ` +
            SERVICES.map(
              (name) => `${name} ${series[`${name}PostgresCpu`].map((v) => v.toFixed(2)).join(', ')} ms`,
            ).join(', '),
        );
      } catch (error) {
        measured.set(rate, failed(error));
      }
    }
  } catch (error) {
    log(`end to end: ${failed(error)}`);
    for (const rate of rates) if (!measured.has(rate)) measured.set(rate, failed(error));
  } finally {
    await watch?.stop();
  }

  return rates.map((rate) => {
    const value = measured.get(rate) ?? 'not run';
    const pick = (field: keyof Series) => (typeof value === 'string' ? value : value[field]);
    const postgresPick = (field: keyof Series) => {
      const values = pick(field);
      return typeof values !== 'string' && values.every(Number.isNaN)
        ? 'not measured: PostgreSQL is not a process on this machine'
        : values;
    };
    return {
      id: `end-to-end-${rate}`,
      title: `end to end, accepted → in the read model, at ${rate}/s`,
      loadGenerator: `open loop (bench/lib/paced-load.ts): a PlaceOrder of a new order every ${1000 / rate} ms, evenly spaced, over at most ${CONNECTIONS} keep-alive connections; from the 2xx response read by the benchmark to the order's row found in readmodels.orders (all pending orders looked up in one query by primary key at each of the projector's announcements of the tenant's orders on Redis, and every ${UNANNOUNCED_LOOK_MS} ms without one); read-your-writes: every ${READ_YOUR_WRITES_EVERY}th accepted order read back at once with GetOrder and X-Min-Position (fetch, keep-alive), from the command's 2xx to the query's 200; the gateway's event-loop delay (prom-client's nodejs_eventloop_lag_p50/p99_seconds, 10 ms resolution included) over each round's load`,
      concurrency: CONNECTIONS,
      poolSize: pools['gateway/main'] ?? 20,
      poolSizes: pools,
      memoryLimits,
      warmup: '1 s at 200/s',
      rounds,
      perRound: `${seconds} s, then until every accepted order is visible`,
      synchronousCommit: {},
      figures: [
        figure('p50 latency', 'ms', 'lower', pick('p50'), NO_PEER),
        figure('p99 latency', 'ms', 'lower', pick('p99'), NO_PEER),
        figure('rate achieved', 'commands/s', 'higher', pick('rate'), NO_PEER),
        figure('non-2xx, errors, timeouts', 'requests', 'lower', pick('failed'), NO_PEER),
        figure('read-your-writes p50', 'ms', 'lower', pick('rywP50'), NO_PEER),
        figure('read-your-writes p99', 'ms', 'lower', pick('rywP99'), NO_PEER),
        figure('read-your-writes queries failed', 'queries', 'lower', pick('rywFailed'), NO_PEER),
        // Each await on the query's and the command's path waits about this long for its turn.
        figure('gateway event-loop delay p50', 'ms', 'lower', pick('loopDelayP50'), NO_PEER),
        figure('gateway event-loop delay p99', 'ms', 'lower', pick('loopDelayP99'), NO_PEER),
        ...SERVICES.map((name) =>
          figure(`${name} CPU per command`, 'CPU ms', 'lower', pick(`${name}Cpu`), NO_PEER),
        ),
        ...SERVICES.map((name) =>
          figure(
            `PostgreSQL CPU per command, ${name}'s login`,
            'CPU ms',
            'lower',
            postgresPick(`${name}PostgresCpu`),
            NO_PEER,
          ),
        ),
      ],
    };
  });
}

/**
 * The issues' targets (9, and 20 through X-Min-Position): p50 ≤ 10 ms and p99 ≤ 50 ms at 500 commands/s,
 * judged only on a run that reached 500/s.
 */
export function endToEndTargets(scenarios: readonly ScenarioResult[]): TargetCheck[] {
  const value = (name: string) =>
    scenarios.find((s) => s.id === 'end-to-end-500')?.figures.find((f) => f.name === name)?.ours?.median;
  const reached = value('rate achieved');
  const check = (target: string, measured: number | undefined, most: number): TargetCheck =>
    measured === undefined || Number.isNaN(measured)
      ? { target, met: null, detail: 'not measured' }
      : reached === undefined || reached < 500 * RATE_REACHED
        ? notJudged(
            target,
            `the run reached ${reached?.toFixed(0) ?? 'no'} commands/s, not 500 (measured ${measured.toFixed(1)} ms)`,
          )
        : { target, met: measured <= most, detail: `measured ${measured.toFixed(1)} ms` };
  return [
    check('end to end p50 ≤ 10 ms at 500/s', value('p50 latency'), 10),
    check('end to end p99 ≤ 50 ms at 500/s', value('p99 latency'), 50),
    check('read-your-writes p50 ≤ 10 ms at 500/s', value('read-your-writes p50'), 10),
    check('read-your-writes p99 ≤ 50 ms at 500/s', value('read-your-writes p99'), 50),
  ];
}
