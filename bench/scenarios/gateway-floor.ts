/**
 * Issue 20's gateway target (0.25 ms of CPU per command) against what this
 * machine's Node spends on a command at all: the pipeline's gateway and three
 * bare node:http servers (bench/floor/floor-server.ts: HTTP and JSON only; with
 * the gateway's Redis admission call; with that and the append) take the same
 * PlaceOrders at the same paced rate, in turn, round after round. The
 * gateway's CPU per command over the bare server with both round trips is what
 * express, validation, identity, the circuit breakers, telemetry and the
 * creation batcher cost; the floor itself is what no gateway in Node could save
 * on this machine. The report's peer column stays empty: Emmett has no gateway.
 */
import type { Endpoints } from '../lib/databases.ts';
import { type FloorProcess, startFloor } from '../lib/floor-process.ts';
import { pacedLoad } from '../lib/paced-load.ts';
import { type Pipeline, settle, sharedPipeline, usageOf } from '../lib/pipeline.ts';
import { figure, NO_PEER, type ScenarioResult } from '../lib/report.ts';
import { stackSetting } from '../lib/stack.ts';
import { placeOrder } from './gateway.ts';

const RATE = 500;
const CONNECTIONS = 64;
const FLOORS = ['http', 'redis', 'append'] as const;
type Floor = (typeof FLOORS)[number];
type Target = 'gateway' | Floor;

/** A floor server (bench/floor/floor-server.ts) doing `work` for the pipeline's tenant. */
function startFloorServer(work: Floor, pipeline: Pipeline): Promise<FloorProcess> {
  return startFloor('floor-server', 'gateway', {
    FLOOR_WORK: work,
    FLOOR_TENANT: pipeline.tenantId,
    FLOOR_DATABASE_URL: pipeline.database.appUrl,
    FLOOR_REDIS_URL: stackSetting('REDIS_URL'),
  });
}

interface Measured {
  readonly cpuPerCommand: number[];
  readonly rate: number[];
  readonly failed: number[];
}

export async function gatewayFloorScenarios(options: {
  readonly quick: boolean;
  readonly endpoints: Endpoints;
  readonly log: (line: string) => void;
}): Promise<ScenarioResult[]> {
  const { quick, log } = options;
  const rounds = quick ? 1 : 3;
  const seconds = quick ? 2 : 8;
  const pipeline = await sharedPipeline(options.endpoints, { log });
  const floors: Partial<Record<Floor, FloorProcess>> = {};
  const measured: Record<Target, Measured> = {
    gateway: { cpuPerCommand: [], rate: [], failed: [] },
    http: { cpuPerCommand: [], rate: [], failed: [] },
    redis: { cpuPerCommand: [], rate: [], failed: [] },
    append: { cpuPerCommand: [], rate: [], failed: [] },
  };
  try {
    for (const work of FLOORS) floors[work] = await startFloorServer(work, pipeline);
    const target = (name: Target) => {
      const server = name === 'gateway' ? undefined : floors[name];
      return server
        ? { url: server.url, pid: server.pid }
        : { url: pipeline.gatewayUrl, pid: pipeline.services.gateway.pid };
    };
    const run = async (name: Target, runSeconds: number) => {
      const { url, pid } = target(name);
      const before = usageOf(pid).cpuSeconds;
      const result = await pacedLoad({
        url,
        rate: RATE,
        duration: runSeconds,
        connections: CONNECTIONS,
        request: (n) => placeOrder(pipeline, n),
      });
      const cpu = usageOf(pid).cpuSeconds - before;
      // What the appends leave the relay and projector is done before the next one measures.
      await settle(pipeline);
      return { result, cpu };
    };
    const order: Target[] = ['gateway', ...FLOORS];
    for (const name of order) await run(name, 1);
    for (let round = 0; round < rounds; round++) {
      // Each round starts with another of them, so none always follows the same one.
      const turn = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
      for (const name of turn) {
        const { result, cpu } = await run(name, seconds);
        const into = measured[name];
        into.cpuPerCommand.push(result['2xx'] > 0 ? (cpu * 1000) / result['2xx'] : Number.NaN);
        into.rate.push(result['2xx'] / result.duration);
        into.failed.push(result.non2xx + result.errors);
      }
    }
    log(
      `gateway floor at ${RATE}/s, CPU ms per command: ` +
        order
          .map((name) => `${name} ${measured[name].cpuPerCommand.map((v) => v.toFixed(3)).join(', ')}`)
          .join('; '),
    );
  } finally {
    await Promise.all(Object.values(floors).map((server) => server.stop()));
  }
  const cpu = (name: Target) => measured[name].cpuPerCommand;
  return [
    {
      id: `gateway-floor-${RATE}`,
      title: `the gateway's CPU per PlaceOrder at ${RATE}/s against bare node:http servers doing the same I/O`,
      loadGenerator: `open loop (bench/lib/paced-load.ts) at ${RATE}/s over at most ${CONNECTIONS} keep-alive connections, the same PlaceOrders to each server in turn; CPU from /proc/<pid>/stat utime+stime of the server's process ÷ commands answered 2xx`,
      concurrency: CONNECTIONS,
      poolSize: 20,
      warmup: '1 s at the rate, each server',
      rounds,
      perRound: `${seconds} s per server`,
      synchronousCommit: {},
      figures: [
        figure('gateway CPU per command', 'CPU ms', 'lower', cpu('gateway'), NO_PEER),
        figure('bare server CPU per command, HTTP and JSON only', 'CPU ms', 'lower', cpu('http'), NO_PEER),
        figure(
          'bare server CPU per command, with the Redis admission call',
          'CPU ms',
          'lower',
          cpu('redis'),
          NO_PEER,
        ),
        figure(
          'bare server CPU per command, with the Redis call and the append',
          'CPU ms',
          'lower',
          cpu('append'),
          NO_PEER,
        ),
        figure(
          'gateway CPU per command ÷ the bare server with both, per round',
          '×',
          'lower',
          cpu('gateway').map((ours, i) => ours / (cpu('append')[i] ?? Number.NaN)),
          NO_PEER,
        ),
        figure('rate reached, gateway', 'commands/s', 'higher', measured.gateway.rate, NO_PEER),
        figure('rate reached, bare server with both', 'commands/s', 'higher', measured.append.rate, NO_PEER),
        figure(
          'non-2xx and errors, gateway and bare servers',
          'requests',
          'lower',
          (['gateway', ...FLOORS] as const).flatMap((name) => measured[name].failed),
          NO_PEER,
        ),
      ],
    },
  ];
}
