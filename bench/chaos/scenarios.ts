/**
 * The fault scenarios of `make chaos` (docs/reliability.md): each starts the
 * pipeline on infrastructure it may fault, drives load, injects one kind of
 * fault, and hands back the checks' verdict and the gateway's answers.
 */
import { sleep, stackSetting } from '../lib/stack.ts';
import { audit, awaitDrained, backlog, type Verdict } from './checks.ts';
import { chaosScript, type KafkaCluster, startKafkaCluster, startRedis, startRegistry } from './infra.ts';
import { type AnswerLog, createTenants, Load } from './load.ts';
import {
  type ChaosPipeline,
  chaosPostgres,
  metricSum,
  type PipelineSpec,
  sharedPostgres,
  startChaosPipeline,
  through,
  topologyWithReplication,
} from './pipeline.ts';
import type { ServiceHandle } from './processes.ts';

export interface ScenarioOptions {
  /** The short form CI runs: shorter phases, fewer kills. */
  readonly short: boolean;
  readonly log: (line: string) => void;
}

export interface ScenarioResult {
  readonly name: string;
  readonly title: string;
  readonly fault: string;
  readonly load: {
    readonly commandsPerSecond: number;
    readonly queriesPerSecond: number;
    readonly tenants: number;
  };
  readonly durationsMs: { readonly before: number; readonly fault: number; readonly after: number };
  readonly verdict: Verdict;
  readonly answers: Omit<AnswerLog, 'commandLatencies' | 'queryLatencies'>;
  readonly recovery: {
    /** Fault over → the first 2xx command answered after it (0: commands never stopped being accepted). */
    readonly firstCommandMs: number | null;
    /** Fault over → nothing older than 3 s left in the outbox or unapplied by any projection. */
    readonly backlogDrainedMs: number | null;
  };
  /** Scenario-specific observations (lanes held, acknowledgements with one broker left, kills). */
  readonly notes: Readonly<Record<string, unknown>>;
  readonly passed: boolean;
}

interface Drive {
  readonly pipeline: ChaosPipeline;
  readonly brokers: readonly string[];
  readonly options: ScenarioOptions;
  readonly commandsPerSecond: number;
  readonly queriesPerSecond?: number;
  readonly tenants?: number;
  readonly beforeMs: number;
  readonly afterMs: number;
  /** Injects the fault and ends it; resolves when the fault is over. */
  readonly fault: (load: Load) => Promise<Record<string, unknown>>;
}

/** Load before, during and after the fault; then the drain, the checks and the figures. */
async function drive(name: string, title: string, faultText: string, d: Drive): Promise<ScenarioResult> {
  const { log } = d.options;
  const gateway = d.pipeline.liveGateways()[0];
  if (!gateway) throw new Error('no gateway');
  const tenantCount = d.tenants ?? 20;
  const tenants = await createTenants(gateway, d.pipeline.adminToken, tenantCount, name);
  const load = new Load({
    gateways: () => d.pipeline.liveGateways(),
    tenants,
    commandsPerSecond: d.commandsPerSecond,
    queriesPerSecond: d.queriesPerSecond ?? 10,
  });
  load.start();
  const began = Date.now();
  await sleep(d.beforeMs);
  log(`${name}: ${load.acknowledgedCount} commands acknowledged before the fault; injecting: ${faultText}`);
  load.phase = 'fault';
  const faultStart = Date.now();
  const notes = await d.fault(load);
  const faultEnd = Date.now();
  load.phase = 'after';
  load.markRecovery(faultEnd);
  log(`${name}: fault over after ${((faultEnd - faultStart) / 1000).toFixed(1)} s; load goes on`);
  let drainedAt: number | undefined;
  let watching = true;
  const watcher = (async () => {
    while (watching && drainedAt === undefined) {
      try {
        const left = await backlog(d.pipeline.database.adminUrl, 3);
        if (left.outboxRows === 0 && left.tenantsBehind === 0) drainedAt = Date.now();
      } catch {
        // the database may be coming back
      }
      await sleep(500);
    }
  })();
  await sleep(d.afterMs);
  await load.stop();
  const afterEnd = Date.now();
  log(`${name}: load stopped (${load.acknowledgedCount} acknowledged); waiting for the pipeline to drain`);
  const drainTook = await awaitDrained(d.pipeline.database.adminUrl, 240_000);
  watching = false;
  await watcher;
  drainedAt ??= afterEnd + drainTook;
  log(`${name}: drained; auditing`);
  const verdict = await audit({
    adminUrl: d.pipeline.database.adminUrl,
    brokers: d.brokers,
    topics: d.pipeline.topics,
    acknowledged: load.acknowledged,
  });
  const badStatuses = load.answers.violations.length;
  const passed =
    verdict.lost.total === 0 &&
    verdict.reordered === 0 &&
    verdict.duplicatesDiffering === 0 &&
    verdict.deadLetters === 0 &&
    Object.values(verdict.verify).every((v) => v.consistent) &&
    badStatuses === 0 &&
    verdict.acknowledgedCommands > 0;
  return {
    name,
    title,
    fault: faultText,
    load: {
      commandsPerSecond: d.commandsPerSecond,
      queriesPerSecond: d.queriesPerSecond ?? 10,
      tenants: tenantCount,
    },
    durationsMs: { before: faultStart - began, fault: faultEnd - faultStart, after: afterEnd - faultEnd },
    verdict,
    answers: {
      commands: load.answers.commands,
      queries: load.answers.queries,
      violations: load.answers.violations.slice(0, 20),
    },
    recovery: {
      firstCommandMs: load.firstSuccessAfter === undefined ? null : load.firstSuccessAfter - faultEnd,
      backlogDrainedMs: drainedAt - faultEnd,
    },
    notes,
    passed,
  };
}

/** A pipeline on the shared stack's infrastructure, with whatever the scenario replaces. */
function onSharedStack(name: string, overrides: Partial<PipelineSpec>): PipelineSpec {
  return {
    name,
    gateways: 1,
    relays: 1,
    projectors: 1,
    postgres: sharedPostgres(),
    kafkaBrokers: stackSetting('KAFKA_BROKERS').split(','),
    registryUrl: stackSetting('SCHEMA_REGISTRY_URL'),
    redisUrl: stackSetting('REDIS_URL'),
    ...overrides,
  };
}

async function withPipeline<T>(
  spec: PipelineSpec,
  body: (pipeline: ChaosPipeline) => Promise<T>,
): Promise<T> {
  const pipeline = await startChaosPipeline(spec);
  try {
    return await body(pipeline);
  } finally {
    await pipeline.stop();
  }
}

const PGBOUNCER_PORT = Number(process.env.PGBOUNCER_PORT ?? 6432);

/** Lanes each relay replica holds now (eventline_relay_lanes_held). */
async function lanesHeld(relays: readonly ServiceHandle[]): Promise<number[]> {
  return Promise.all(relays.map((relay) => metricSum([relay], 'eventline_relay_lanes_held')));
}

/**
 * 1. PgBouncer (transaction pooling) in front of PostgreSQL for all three services, two relay
 * replicas sharing the lanes by leases through it. Fault: one replica SIGKILLed mid-load and
 * started again: its lanes wait out their lease, then the other takes them, all through the pooler.
 */
export async function pgbouncerScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const name = 'pgbouncer';
  await chaosScript('pgbouncer', 'up');
  try {
    const spec = onSharedStack(name, {
      relays: 2,
      projectors: 2,
      route: (url) => through(url, `127.0.0.1:${PGBOUNCER_PORT}`),
      // PgBouncer's server sessions to the scenario's database would keep it from being dropped.
      beforeDrop: () => chaosScript('pgbouncer', 'down'),
    });
    return await withPipeline(spec, (pipeline) =>
      drive(
        name,
        'PgBouncer (transaction pooling) in front of PostgreSQL, two relay replicas',
        'relay replica 1 SIGKILLed, started again 5 s later',
        {
          pipeline,
          brokers: spec.kafkaBrokers,
          options,
          commandsPerSecond: options.short ? 60 : 100,
          beforeMs: options.short ? 8_000 : 20_000,
          afterMs: options.short ? 15_000 : 40_000,
          fault: async () => {
            const lanesBefore = await lanesHeld(pipeline.relays);
            const victim = pipeline.relays[0];
            if (!victim) throw new Error('no relay');
            await victim.kill('SIGKILL');
            await sleep(5_000);
            await victim.start();
            // The restarted replica takes its share back once the other hands lanes over.
            const deadline = Date.now() + 30_000;
            let lanes = await lanesHeld(pipeline.relays);
            while (Date.now() < deadline && !lanes.every((held) => held > 0)) {
              await sleep(500);
              lanes = await lanesHeld(pipeline.relays);
            }
            return {
              lanesHeldBefore: lanesBefore,
              lanesHeldAfterRestart: lanes,
              pgbouncerPort: PGBOUNCER_PORT,
            };
          },
        },
      ),
    );
  } finally {
    await chaosScript('pgbouncer', 'down');
  }
}

/** 2. The only Kafka broker (a cluster of the scenario's own) stopped for 30 s mid-load, then started. */
export async function brokerOutageScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const name = 'broker-outage';
  const holdMs = options.short ? 12_000 : 30_000;
  const cluster = await startKafkaCluster(name, 1);
  try {
    const spec = onSharedStack(name, { kafkaBrokers: cluster.brokers });
    return await withPipeline(spec, (pipeline) =>
      drive(
        name,
        'Kafka broker stopped mid-load',
        `the broker stopped (SIGTERM) for ${holdMs / 1000} s, then started`,
        {
          pipeline,
          brokers: cluster.brokers,
          options,
          commandsPerSecond: options.short ? 60 : 100,
          beforeMs: options.short ? 8_000 : 20_000,
          afterMs: options.short ? 10_000 : 30_000,
          fault: async (load) => {
            const node = cluster.nodes[0];
            if (!node) throw new Error('no broker');
            await node.kill('SIGTERM');
            const acceptedBefore = load.acknowledgedCount;
            await sleep(holdMs);
            const acceptedDuring = load.acknowledgedCount - acceptedBefore;
            await node.start();
            return { commandsAcknowledgedWhileKafkaWasDown: acceptedDuring };
          },
        },
      ),
    );
  } finally {
    await cluster.stop();
  }
}

/**
 * 3. PostgreSQL restarted mid-load: a cluster of the scenario's own
 * (scripts/chaos/postgres.sh), so the shared server and the registry on it are untouched.
 * `restart` is a fast shutdown, as an operator's restart or a failover; `crash` an immediate
 * one, as a crash: no shutdown checkpoint, WAL not yet written is lost (the projector's
 * rounds commit without waiting for their flush, docs/projector.md), recovery at start.
 */
function postgresScenario(name: string, action: 'restart' | 'crash', fault: string) {
  return async (options: ScenarioOptions): Promise<ScenarioResult> => {
    await chaosScript('postgres', 'up');
    try {
      const spec = onSharedStack(name, { postgres: chaosPostgres() });
      return await withPipeline(spec, (pipeline) =>
        drive(name, `PostgreSQL ${action === 'crash' ? 'crashed' : 'restarted'} mid-load`, fault, {
          pipeline,
          brokers: spec.kafkaBrokers,
          options,
          commandsPerSecond: options.short ? 60 : 100,
          beforeMs: options.short ? 8_000 : 20_000,
          afterMs: options.short ? 10_000 : 30_000,
          fault: async () => {
            const started = Date.now();
            await chaosScript('postgres', action);
            return { restartTookMs: Date.now() - started };
          },
        }),
      );
    } finally {
      await chaosScript('postgres', 'down');
    }
  };
}

export const postgresRestartScenario = postgresScenario(
  'postgres-restart',
  'restart',
  'pg_ctl restart -m fast of the cluster every service uses',
);

export const postgresCrashScenario = postgresScenario(
  'postgres-crash',
  'crash',
  'pg_ctl restart -m immediate of the cluster every service uses (a crash, then recovery)',
);

/** 4a. Redis (the gateway's quotas and query cache, the projector's cache generations) down for 30 s. */
export async function redisOutageScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const name = 'redis-outage';
  const holdMs = options.short ? 12_000 : 30_000;
  const redis = await startRedis(name);
  try {
    const spec = onSharedStack(name, { redisUrl: redis.url });
    return await withPipeline(spec, (pipeline) =>
      drive(
        name,
        'Redis down mid-load',
        `Redis stopped (SIGTERM) for ${holdMs / 1000} s, then started empty`,
        {
          pipeline,
          brokers: spec.kafkaBrokers,
          options,
          commandsPerSecond: options.short ? 60 : 100,
          queriesPerSecond: 20,
          beforeMs: options.short ? 8_000 : 20_000,
          afterMs: options.short ? 10_000 : 30_000,
          fault: async () => {
            await redis.process.kill('SIGTERM');
            await sleep(holdMs);
            await redis.process.start();
            return {};
          },
        },
      ),
    );
  } finally {
    await redis.process.kill('SIGTERM');
  }
}

/**
 * 4b. The schema registry down for 30 s. The relay and projector learn each schema once, so
 * a running pair would not notice: one relay and one projector replica are restarted (SIGTERM)
 * while it is down, and must wait for it without losing, parking or reordering anything.
 */
export async function registryOutageScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const name = 'registry-outage';
  const holdMs = options.short ? 12_000 : 30_000;
  const registry = await startRegistry(name);
  try {
    const spec = onSharedStack(name, { registryUrl: registry.url, relays: 2, projectors: 2 });
    return await withPipeline(spec, (pipeline) =>
      drive(
        name,
        'schema registry down mid-load',
        `the registry stopped (SIGTERM) for ${holdMs / 1000} s; relay 1 and projector 1 restarted while it is down`,
        {
          pipeline,
          brokers: spec.kafkaBrokers,
          options,
          commandsPerSecond: options.short ? 60 : 100,
          beforeMs: options.short ? 8_000 : 20_000,
          afterMs: options.short ? 10_000 : 30_000,
          fault: async () => {
            await registry.process.kill('SIGTERM');
            const restarted = [pipeline.relays[0], pipeline.projectors[0]].filter(
              (s): s is ServiceHandle => s !== undefined,
            );
            for (const service of restarted) {
              await service.kill('SIGTERM');
              await service.start();
            }
            await sleep(holdMs);
            const started = Date.now();
            await registry.process.start();
            return {
              registryStartTookMs: Date.now() - started,
              restartedDuringOutage: restarted.map((s) => s.id),
            };
          },
        },
      ),
    );
  } finally {
    await registry.destroy();
  }
}

/** The partition of the topic with the most records so far. */
async function busiestPartition(cluster: KafkaCluster, topic: string): Promise<number> {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({
    brokers: [...cluster.brokers],
    clientId: 'chaos-busiest',
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const sorted = offsets.sort((a, b) => Number(b.high) - Number(a.high));
    return sorted[0]?.partition ?? 0;
  } finally {
    await admin.disconnect();
  }
}

/**
 * 5. A three-broker KRaft cluster (replication 3, min.insync.replicas 2): the leader of the
 * busiest partition SIGKILLed mid-load, later a second broker: with one broker left nothing may
 * be acknowledged (acks=all), and everything resumes when the brokers return.
 */
export async function kafkaClusterScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const name = 'kafka-cluster';
  const holdMs = options.short ? 10_000 : 20_000;
  const cluster = await startKafkaCluster(name, 3);
  try {
    const topologyFile = topologyWithReplication(name, 3, 2);
    const spec = onSharedStack(name, { kafkaBrokers: cluster.brokers, topologyFile });
    return await withPipeline(spec, (pipeline) => {
      const ordersTopic = pipeline.topics.find((topic) => topic.endsWith('orders.events')) ?? '';
      return drive(
        name,
        'three-broker Kafka cluster losing two brokers',
        `the busiest partition's leader SIGKILLed, ${holdMs / 1000} s later a second broker, ${holdMs / 1000} s later both started`,
        {
          pipeline,
          brokers: cluster.brokers,
          options,
          commandsPerSecond: options.short ? 40 : 60,
          beforeMs: options.short ? 10_000 : 20_000,
          afterMs: options.short ? 15_000 : 40_000,
          fault: async () => {
            const partition = await busiestPartition(cluster, ordersTopic);
            const leader = await cluster.leaderOf(ordersTopic, partition);
            const first = cluster.nodes[leader - 1];
            const second = cluster.nodes.find((_, i) => i !== leader - 1);
            if (!first || !second) throw new Error('no brokers to kill');
            await first.kill('SIGKILL');
            options.log(`${name}: killed node ${leader}, leader of ${ordersTopic}[${partition}]`);
            await sleep(holdMs);
            await second.kill('SIGKILL');
            options.log(`${name}: killed ${second.id}; one broker left`);
            // Let requests already in flight settle, then count what Kafka acknowledges with one broker.
            await sleep(3_000);
            const publishedAtOne = await metricSum(pipeline.relays, 'eventline_relay_events_published_total');
            await sleep(holdMs);
            const acknowledgedWithOneBroker =
              (await metricSum(pipeline.relays, 'eventline_relay_events_published_total')) - publishedAtOne;
            await Promise.all([first.start(), second.start()]);
            return {
              killedFirst: `node ${leader} (leader of ${ordersTopic}[${partition}])`,
              killedSecond: second.id,
              eventsKafkaAcknowledgedWithOneBrokerLeft: acknowledgedWithOneBroker,
            };
          },
        },
      );
    });
  } finally {
    await cluster.stop();
  }
}

/** A small seeded generator (mulberry32), so a storm can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 6. SIGKILL storm: random SIGKILLs over two gateways, three relay replicas and two projector
 * replicas under load, each killed process started again after a random pause. CHAOS_SEED replays one.
 */
export async function sigkillStormScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const name = 'sigkill-storm';
  const kills = options.short ? 15 : 60;
  const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const random = seeded(seed);
  options.log(`${name}: seed ${seed} (CHAOS_SEED=${seed} replays the same choices)`);
  const spec = onSharedStack(name, { gateways: 2, relays: 3, projectors: 2 });
  return withPipeline(spec, (pipeline) =>
    drive(name, 'SIGKILL storm', `${kills} SIGKILLs over gateways, relays and projectors, each restarted`, {
      pipeline,
      brokers: spec.kafkaBrokers,
      options,
      commandsPerSecond: options.short ? 60 : 100,
      beforeMs: options.short ? 8_000 : 15_000,
      afterMs: options.short ? 15_000 : 30_000,
      fault: async () => {
        const restarts: Promise<void>[] = [];
        const killed: Record<string, number> = {};
        for (let i = 0; i < kills; i++) {
          await sleep(300 + random() * 1_700);
          const candidates = pipeline.all.filter((service) => service.running());
          // Never the last gateway up, so the storm measures recovery rather than a dead front door.
          const eligible = candidates.filter(
            (service) => service.service !== 'gateway' || pipeline.liveGateways().length > 1,
          );
          const victim = eligible[Math.floor(random() * eligible.length)];
          if (!victim) continue;
          await victim.kill('SIGKILL');
          killed[victim.service] = (killed[victim.service] ?? 0) + 1;
          const pause = 500 + random() * 2_500;
          // A process may be killed again while it starts: that start fails, and the kill's own
          // restart brings it back; every one is made sure of below.
          restarts.push(
            sleep(pause)
              .then(() => victim.start())
              .catch(() => undefined),
          );
        }
        await Promise.all(restarts);
        for (const service of pipeline.all) await service.start();
        return { seed, kills: killed };
      },
    }),
  );
}
