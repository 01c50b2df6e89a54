/**
 * Issue 20's projector targets (catch-up ≥ 20,000 events/s; 0.20 ms of CPU
 * per event at 500/s) against a minimal projector (bench/floor/projector-floor.ts:
 * kafkajs, the registry client's decoding and one statement per partition
 * batch writing a row per event with its checkpoint, none of the projector's
 * read models, guarantees or operations). Each reads the same records
 * (the relay's codec and record layout) from a topic of its own, both running
 * from the start: first a backlog that each catches up alone, timed from its
 * answering /ready until every checkpoint is at its partition's end; then
 * records produced one per request at 500/s (as the relay publishes lone
 * events) from 100 tenants, to one side at a time, round after round, the
 * first side alternating by round. CPU per event is the process's utime +
 * stime from the first record produced until all are applied, over the
 * records. The report's peer column stays empty: Emmett has no projector.
 */
import { NoopPolicy } from 'cockatiel';
import { Kafka, logLevel, type Message, Partitioners } from 'kafkajs';
import type { EventSchemas } from '../../services/avro/index.ts';
import { applyTopology, EventCodec, loadTopology, schemaRegistry } from '../../services/messaging/index.ts';
import { asAdmin, createDatabase, type Endpoints, withDatabase } from '../lib/databases.ts';
import { startFloor } from '../lib/floor-process.ts';
import type { ProcessUsage } from '../lib/pipeline.ts';
import { figure, NO_PEER, type ScenarioResult } from '../lib/report.ts';
import { sleep } from '../lib/stack.ts';
import {
  checkpointsAtEnds,
  partitionEnds,
  produceBacklog,
  seedEvents,
  stackEndpoints,
  startProjector,
  storedRecords,
  until,
} from './projector-catchup.ts';

const RATE = 500;
const SIDES = ['projector', 'floor'] as const;
type Side = (typeof SIDES)[number];

interface Running {
  usage(): ProcessUsage;
  stop(): Promise<void>;
}

/** The records in turns across their tenants, each tenant's in order: as many tenants' live appends arrive. */
function interleaved(messages: readonly Message[]): Message[] {
  const byTenant = new Map<string, Message[]>();
  for (const message of messages) {
    const tenant = String(message.key);
    const queue = byTenant.get(tenant);
    if (queue) queue.push(message);
    else byTenant.set(tenant, [message]);
  }
  const queues = [...byTenant.values()];
  const out: Message[] = [];
  for (let i = 0; out.length < messages.length; i++) {
    for (const queue of queues) {
      const message = queue[i];
      if (message) out.push(message);
    }
  }
  return out;
}

/** `messages` onto `topic` at RATE per second, one produce request each, issued every 10 ms. */
async function produceAtRate(
  producer: ReturnType<Kafka['producer']>,
  topic: string,
  messages: readonly Message[],
): Promise<void> {
  const inFlight: Promise<unknown>[] = [];
  const began = Date.now();
  let sent = 0;
  while (sent < messages.length) {
    const due = Math.min(messages.length, Math.floor(((Date.now() - began) / 1000) * RATE));
    for (; sent < due; sent++) {
      inFlight.push(producer.send({ topic, acks: -1, messages: [messages[sent] as Message] }));
    }
    await sleep(10);
  }
  await Promise.all(inFlight);
}

export async function projectorFloorScenarios(options: {
  readonly quick: boolean;
  readonly endpoints: Endpoints;
  readonly schemas: EventSchemas;
  readonly log: (line: string) => void;
}): Promise<ScenarioResult[]> {
  const { quick, log } = options;
  const at = stackEndpoints();
  const rounds = quick ? 1 : 3;
  const seconds = quick ? 3 : 10;
  const backlogTenants = 1_000;
  const backlogPerTenant = quick ? 20 : 100;
  const liveTenants = 100;
  const perSlice = seconds * RATE;
  const database = await createDatabase(options.endpoints, 'projector_floor', { migrated: true });
  const stamp = Date.now().toString(36);
  const topologies = {
    projector: await loadTopology(`bench_pfloor_${stamp}.`),
    floor: await loadTopology(`bench_pfloor_min_${stamp}.`),
  };
  const topicOf = (side: Side) => topologies[side].eventTopics.get('orders')?.topic ?? '';
  const readers = topologies.projector.consumerGroups
    .map(({ projection }) => projection)
    .filter((projection) => projection !== 'tenants');
  const kafka = new Kafka({
    brokers: at.kafkaBrokers.split(','),
    clientId: 'bench',
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await Promise.all([admin.connect(), producer.connect()]);
  const running: Partial<Record<Side, Running>> = {};
  const catchUp: Record<Side, number[]> = { projector: [], floor: [] };
  const catchUpCpu: Record<Side, number[]> = { projector: [], floor: [] };
  const paced: Record<Side, number[]> = { projector: [], floor: [] };
  try {
    for (const topology of Object.values(topologies)) await applyTopology(admin, topology);
    const backlog = await seedEvents(database.adminUrl, backlogTenants, backlogPerTenant);
    await seedEvents(
      database.adminUrl,
      liveTenants,
      Math.ceil((2 * rounds * perSlice) / liveTenants / 5) * 5,
    );
    const codec = new EventCodec(
      schemaRegistry({ url: at.schemaRegistryUrl }),
      options.schemas,
      new NoopPolicy(),
    );
    const applied = async (side: Side) => {
      const ends = await partitionEnds(admin, topicOf(side));
      if (side === 'projector')
        return checkpointsAtEnds((text) => asAdmin(database.adminUrl, text), topicOf(side), readers, ends);
      const rows = await asAdmin<{ partition: number; next_offset: string }>(
        database.adminUrl,
        `SELECT partition, next_offset FROM floor_checkpoints WHERE topic = '${topicOf(side)}'`,
      );
      const reached = new Map(rows.map((row) => [row.partition, Number(row.next_offset)]));
      return ends.every(({ partition, end }) => end === 0 || reached.get(partition) === end);
    };
    const start = (side: Side): Promise<Running> =>
      side === 'projector'
        ? startProjector(
            withDatabase(at.projectorDatabaseUrl, database.name),
            `bench_pfloor_${stamp}.`,
            at,
            {},
          )
        : startFloor('projector-floor', 'projector', {
            FLOOR_DATABASE_URL: database.adminUrl,
            FLOOR_BROKERS: at.kafkaBrokers,
            FLOOR_REGISTRY_URL: at.schemaRegistryUrl,
            FLOOR_TOPIC: topicOf(side),
            FLOOR_GROUP: `bench-pfloor-${stamp}`,
          });

    for (const side of SIDES) {
      await produceBacklog(database.adminUrl, kafka, codec, topicOf(side), log, backlog);
      const process_ = await start(side);
      running[side] = process_;
      const began = process.hrtime.bigint();
      const cpuBefore = process_.usage().cpuSeconds;
      await until(`the ${side}'s catch-up`, () => applied(side), 900_000, 50);
      catchUp[side].push(backlog / (Number(process.hrtime.bigint() - began) / 1e9));
      catchUpCpu[side].push(((process_.usage().cpuSeconds - cpuBefore) * 1000) / backlog);
    }

    const live = {
      projector: interleaved(
        await storedRecords(database.adminUrl, codec, topicOf('projector'), backlog, 1e7),
      ),
      floor: interleaved(await storedRecords(database.adminUrl, codec, topicOf('floor'), backlog, 1e7)),
    };
    for (let round = 0; round < rounds; round++) {
      for (const side of round % 2 === 0 ? SIDES : [...SIDES].reverse()) {
        const process_ = running[side] as Running;
        const slice = live[side].slice(round * perSlice, (round + 1) * perSlice);
        const cpuBefore = process_.usage().cpuSeconds;
        await produceAtRate(producer, topicOf(side), slice);
        await until(`the ${side}'s records applied`, () => applied(side), 120_000, 50);
        paced[side].push(((process_.usage().cpuSeconds - cpuBefore) * 1000) / slice.length);
      }
    }
    log(
      `projector floor: catch-up ${catchUp.projector[0]?.toFixed(0)} (projector) and ${catchUp.floor[0]?.toFixed(0)} ` +
        `(minimal projector) events/s; at ${RATE}/s, CPU ms per event: projector ` +
        `${paced.projector.map((v) => v.toFixed(3)).join(', ')}; minimal projector ${paced.floor.map((v) => v.toFixed(3)).join(', ')}`,
    );
  } finally {
    await Promise.all(Object.values(running).map((process_) => process_.stop()));
    await admin
      .deleteTopics({
        topics: Object.values(topologies).flatMap((topology) =>
          [...topology.eventTopics.values(), ...topology.deadLetterTopics].map((t) => t.topic),
        ),
      })
      .catch(() => undefined);
    await Promise.all([admin.disconnect(), producer.disconnect()]);
    await database.drop();
  }
  return [
    {
      id: 'projector-floor',
      title: `the projector (three projections) against a minimal projector (one row per event) on the same records`,
      loadGenerator:
        `a backlog of ${backlogTenants * backlogPerTenant} events (${backlogTenants} tenants) on each side's own topic, caught up by each alone, ` +
        `timed from /ready until every checkpoint is at its partition's end; then records of ${liveTenants} tenants, one produce request each, ` +
        `at ${RATE}/s, to one side at a time; CPU from /proc/<pid>/stat utime+stime of the side's process ÷ records`,
      concurrency: 0,
      poolSize: 12,
      warmup: 'the catch-up before the paced rounds',
      rounds,
      perRound: `${perSlice} records per side at ${RATE}/s`,
      synchronousCommit: {},
      figures: [
        figure('catch-up throughput, projector', 'events/s', 'higher', catchUp.projector, NO_PEER),
        figure('catch-up throughput, minimal projector', 'events/s', 'higher', catchUp.floor, NO_PEER),
        figure('catch-up CPU per event, projector', 'CPU ms', 'lower', catchUpCpu.projector, NO_PEER),
        figure('catch-up CPU per event, minimal projector', 'CPU ms', 'lower', catchUpCpu.floor, NO_PEER),
        figure(`CPU per event at ${RATE}/s, projector`, 'CPU ms', 'lower', paced.projector, NO_PEER),
        figure(`CPU per event at ${RATE}/s, minimal projector`, 'CPU ms', 'lower', paced.floor, NO_PEER),
        figure(
          `projector CPU per event at ${RATE}/s ÷ the minimal projector, per round`,
          '×',
          'lower',
          paced.projector.map((ours, i) => ours / (paced.floor[i] ?? Number.NaN)),
          NO_PEER,
        ),
      ],
    },
  ];
}
