/**
 * Issue 20's relay target (0.10 ms of CPU per event at 500/s) against a
 * minimal relay (bench/floor/relay-floor.ts: the page read, the Avro encoding,
 * the produce request and the delete, with the packages the relay uses, and
 * none of its guarantees' or operations' machinery), and against the minimal
 * relay holding each doorbell ring 10 ms, so that the appends of that time
 * share one page and one produce request (the CPU per event a relay buys with
 * latency). The three take the same appends in turn, on one database and
 * topic: one OrderPlaced per append, 100 tenants, 500/s, issued every 10 ms
 * (as `relay-latency-500`), each a fresh process per round, the first one
 * rotating by round. CPU per event is the process's utime + stime from the
 * first timed append until the outbox is empty, over the events appended. The
 * report's peer column stays empty: Emmett has no relay.
 */
import { randomUUID } from 'node:crypto';
import type { EventSchemas } from '../../services/avro/index.ts';
import { PostgresEventStore, Upcasters } from '../../services/eventstore/index.ts';
import { openDatabase } from '../../services/platform/database/index.ts';
import { tenantId } from '../../services/platform/tenancy/index.ts';
import type { Endpoints } from '../lib/databases.ts';
import { startFloor } from '../lib/floor-process.ts';
import type { ProcessUsage } from '../lib/pipeline.ts';
import { figure, NO_PEER, type ScenarioResult } from '../lib/report.ts';
import {
  appendAtRate,
  appendOrder,
  outboxRows,
  prepare,
  relayEndpoints,
  startRelay,
  until,
} from './relay.ts';

const RATE = 500;
/** How long the held minimal relay lets appends gather before each sweep. */
const HOLD_MS = 10;
const SIDES = ['relay', 'floor', 'held'] as const;
type Side = (typeof SIDES)[number];

interface Running {
  usage(): ProcessUsage;
  stop(): Promise<void>;
}

export async function relayFloorScenarios(options: {
  readonly quick: boolean;
  readonly endpoints: Endpoints;
  readonly schemas: EventSchemas;
  readonly log: (line: string) => void;
}): Promise<ScenarioResult[]> {
  const { quick, log } = options;
  const rounds = quick ? 1 : 3;
  const seconds = quick ? 3 : 10;
  const at = relayEndpoints();
  const prepared = await prepare(options.endpoints, at, 'floor');
  const topic = prepared.topology.eventTopics.get('orders')?.topic;
  const cpu: Record<Side, number[]> = { relay: [], floor: [], held: [] };
  const rate: Record<Side, number[]> = { relay: [], floor: [], held: [] };
  const pool = await openDatabase(prepared.database.appUrl, { maximumPoolSize: 16 });
  try {
    if (!topic) throw new Error('the topology has no orders topic');
    const store = new PostgresEventStore(pool, options.schemas, new Upcasters());
    const tenants = Array.from({ length: 100 }, () => tenantId(randomUUID()));
    const start = (side: Side): Promise<Running> =>
      side === 'relay'
        ? startRelay(prepared.relayUrl, prepared.prefix, at)
        : startFloor('relay-floor', 'relay', {
            FLOOR_DATABASE_URL: prepared.database.adminUrl,
            FLOOR_BROKERS: at.kafkaBrokers,
            FLOOR_REGISTRY_URL: at.schemaRegistryUrl,
            FLOOR_TOPIC: topic,
            FLOOR_HOLD_MS: side === 'held' ? String(HOLD_MS) : '0',
          });
    const empty = (what: string) =>
      until(what, async () => (await outboxRows(prepared.database.adminUrl)) === 0, 60_000);
    for (let round = 0; round < rounds; round++) {
      // Each round starts with another side, so none always follows the same one.
      for (const side of [...SIDES.slice(round % SIDES.length), ...SIDES.slice(0, round % SIDES.length)]) {
        const running = await start(side);
        try {
          // Warm-up: schema ids looked up, connections open, the code compiled.
          await Promise.all(Array.from({ length: 50 }, () => appendOrder(store, tenants)));
          await empty(`the ${side}'s warm-up published`);
          const before = running.usage().cpuSeconds;
          const { sent, elapsed } = await appendAtRate(store, tenants, RATE, seconds);
          await empty(`the ${side}'s appends published`);
          cpu[side].push(((running.usage().cpuSeconds - before) * 1000) / sent);
          rate[side].push(sent / elapsed);
        } finally {
          await running.stop();
        }
      }
    }
    log(
      `relay floor at ${RATE}/s, CPU ms per event: relay ${cpu.relay.map((v) => v.toFixed(3)).join(', ')}; ` +
        `minimal relay ${cpu.floor.map((v) => v.toFixed(3)).join(', ')}; ` +
        `minimal relay holding ${HOLD_MS} ms ${cpu.held.map((v) => v.toFixed(3)).join(', ')}`,
    );
  } finally {
    await pool.end();
    await prepared.cleanUp();
  }
  return [
    {
      id: `relay-floor-${RATE}`,
      title: `the relay's CPU per event at ${RATE}/s against a minimal relay doing the same I/O`,
      loadGenerator: `open loop: appends (one OrderPlaced each, 100 tenants) issued every 10 ms at ${RATE}/s through appendToStream, the same to each side in turn; CPU from /proc/<pid>/stat utime+stime of the side's process from the first timed append until the outbox is empty, ÷ events appended`,
      concurrency: 0,
      poolSize: 16,
      warmup: '50 appends, each side, each round (a fresh process)',
      rounds,
      perRound: `${seconds} s per side`,
      synchronousCommit: {},
      figures: [
        figure('relay CPU per event', 'CPU ms', 'lower', cpu.relay, NO_PEER),
        figure('minimal relay CPU per event', 'CPU ms', 'lower', cpu.floor, NO_PEER),
        figure(
          'relay CPU per event ÷ the minimal relay, per round',
          '×',
          'lower',
          cpu.relay.map((ours, i) => ours / (cpu.floor[i] ?? Number.NaN)),
          NO_PEER,
        ),
        figure(
          `minimal relay holding each ring ${HOLD_MS} ms, CPU per event`,
          'CPU ms',
          'lower',
          cpu.held,
          NO_PEER,
        ),
        figure(
          'append rate achieved, least of the three sides',
          'events/s',
          'higher',
          rate.relay.map((relay, i) =>
            Math.min(relay, rate.floor[i] ?? Number.NaN, rate.held[i] ?? Number.NaN),
          ),
          NO_PEER,
        ),
      ],
    },
  ];
}
