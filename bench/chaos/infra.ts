/**
 * Infrastructure of a scenario's own, so a fault never touches the shared local
 * stack other engineers' tests use: Kafka brokers (KRaft, one node or three),
 * Redis, a schema registry, and the scripts under scripts/chaos/ (PgBouncer, a
 * second PostgreSQL cluster). Data lives under .run/chaos/<scenario>/.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { freePort, stackSetting } from '../lib/stack.ts';
import { CHAOS_DIR, type Managed, managed } from './processes.ts';

const KAFKA_LIBS = join(projectRoot(), '.run', 'kafka', 'libs');

export interface KafkaCluster {
  readonly brokers: readonly string[];
  readonly nodes: readonly Managed[];
  /** The node id (1-based) leading a partition, from the cluster's metadata. */
  leaderOf(topic: string, partition: number): Promise<number>;
  stop(): Promise<void>;
}

function log4j(dir: string): string {
  const file = join(dir, 'log4j2.properties');
  writeFileSync(
    file,
    [
      'status = warn',
      'appender.console.type = Console',
      'appender.console.name = STDOUT',
      'appender.console.layout.type = PatternLayout',
      'appender.console.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = warn',
      'rootLogger.appenderRef.stdout.ref = STDOUT',
      '',
    ].join('\n'),
  );
  return file;
}

/** A broker answers when its metadata lists every node that is running. */
async function clusterAnswers(brokers: readonly string[], expected: number): Promise<boolean> {
  const admin = new Kafka({
    brokers: [...brokers],
    clientId: 'chaos-probe',
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1_000,
    requestTimeout: 3_000,
  }).admin();
  try {
    await admin.connect();
    const { brokers: found } = await admin.describeCluster();
    return found.length >= expected;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * `size` KRaft nodes, each broker and controller in one JVM (heap capped at 384 MiB: the
 * machine has two cores and everything else runs on them too), from the local stack's jars.
 * With three nodes: replication factor 3 and min.insync.replicas 2 by default, internal topics too.
 */
export async function startKafkaCluster(name: string, size: 1 | 3): Promise<KafkaCluster> {
  const dir = join(CHAOS_DIR, name, 'kafka');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const ports: { broker: number; controller: number }[] = [];
  for (let i = 0; i < size; i++) ports.push({ broker: await freePort(), controller: await freePort() });
  const voters = ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controller}`).join(',');
  const replication = size === 3 ? 3 : 1;
  const minIsr = size === 3 ? 2 : 1;
  const logConfig = log4j(dir);
  const java = (heap: string) => [
    '-Xms128m',
    `-Xmx${heap}`,
    '-XX:+UseG1GC',
    '-XX:ActiveProcessorCount=1',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${logConfig}`,
    '-cp',
    `${KAFKA_LIBS}/*`,
  ];
  const clusterId = execFileSync('java', [...java('128m'), 'kafka.tools.StorageTool', 'random-uuid'], {
    encoding: 'utf8',
  }).trim();
  const brokers = ports.map((p) => `127.0.0.1:${p.broker}`);
  const nodes: Managed[] = [];
  for (let i = 0; i < size; i++) {
    const port = ports[i];
    if (!port) throw new Error('no port');
    const config = join(dir, `node-${i + 1}.properties`);
    writeFileSync(
      config,
      [
        'process.roles=broker,controller',
        `node.id=${i + 1}`,
        `controller.quorum.voters=${voters}`,
        `listeners=PLAINTEXT://127.0.0.1:${port.broker},CONTROLLER://127.0.0.1:${port.controller}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${port.broker}`,
        'controller.listener.names=CONTROLLER',
        'inter.broker.listener.name=PLAINTEXT',
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        `log.dirs=${join(dir, `data-${i + 1}`)}`,
        'auto.create.topics.enable=false',
        `default.replication.factor=${replication}`,
        `min.insync.replicas=${minIsr}`,
        // Producers and the projector's consumers must not fall back to an unclean leader:
        // a replica that missed acknowledged records must never lead (the Kafka default, stated).
        'unclean.leader.election.enable=false',
        `offsets.topic.replication.factor=${replication}`,
        'offsets.topic.num.partitions=3',
        `transaction.state.log.replication.factor=${replication}`,
        `transaction.state.log.min.isr=${minIsr}`,
        'transaction.state.log.num.partitions=3',
        `share.coordinator.state.topic.replication.factor=${replication}`,
        `share.coordinator.state.topic.min.isr=${minIsr}`,
        'group.initial.rebalance.delay.ms=0',
        '',
      ].join('\n'),
    );
    execFileSync(
      'java',
      [...java('128m'), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config],
      {
        stdio: 'ignore',
      },
    );
    nodes.push(
      managed({
        id: `${name}-kafka-${i + 1}`,
        command: 'java',
        args: [...java('384m'), 'kafka.Kafka', config],
        env: { PATH: process.env.PATH ?? '' },
        // A node is up once the cluster answers through it; the whole cluster once all are listed.
        healthy: () => clusterAnswers([`127.0.0.1:${port.broker}`], 1),
        startTimeoutMs: 180_000,
      }),
    );
  }
  // Controllers need their quorum to elect a leader: start every node before waiting for any.
  await Promise.all(nodes.map((node) => node.start({ wait: false })));
  await Promise.all(nodes.map((node) => node.start()));
  const deadline = Date.now() + 120_000;
  while (!(await clusterAnswers(brokers, size).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`the ${size}-node Kafka cluster did not form`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return {
    brokers,
    nodes,
    async leaderOf(topic, partition) {
      const admin = new Kafka({
        brokers: [...brokers],
        clientId: 'chaos-leader',
        logLevel: logLevel.NOTHING,
      }).admin();
      await admin.connect();
      try {
        const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
        const found = metadata.topics[0]?.partitions.find((p) => p.partitionId === partition);
        if (!found) throw new Error(`no partition ${topic}[${partition}]`);
        return found.leader;
      } finally {
        await admin.disconnect();
      }
    },
    async stop() {
      await Promise.all(nodes.map((node) => node.kill('SIGTERM', 30_000)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisInstance {
  readonly url: string;
  readonly process: Managed;
}

/** redis-server of the scenario's own: no persistence (the quotas' and cache's state may go). */
export async function startRedis(name: string): Promise<RedisInstance> {
  const port = await freePort();
  const redis = managed({
    id: `${name}-redis`,
    command: 'redis-server',
    args: ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
    env: { PATH: process.env.PATH ?? '' },
    healthy: async () =>
      execFileSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).trim() === 'PONG',
  });
  await redis.start();
  return { url: `redis://127.0.0.1:${port}`, process: redis };
}

export interface RegistryInstance {
  readonly url: string;
  readonly process: Managed;
  /** Stops it and drops its database. */
  destroy(): Promise<void>;
}

/** Apicurio Registry of the scenario's own, on a database of its own in the shared PostgreSQL. */
export async function startRegistry(name: string): Promise<RegistryInstance> {
  const runtime = Object.fromEntries(
    execFileSync('bash', [join(projectRoot(), 'scripts/stack/registry.sh'), 'runtime'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
  const admin = new URL(stackSetting('ADMIN_DATABASE_URL'));
  const database = `chaos_registry_${name.replace(/[^a-z0-9_]/g, '_')}_${Date.now().toString(36)}`;
  const asAdmin = async (text: string) => {
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  await asAdmin(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  const [port, managementPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
  const registry = managed({
    id: `${name}-registry`,
    command: runtime.REGISTRY_JAVA ?? 'java',
    args: ['-Xms64m', '-Xmx384m', '-XX:ActiveProcessorCount=1', '-jar', 'quarkus-run.jar'],
    cwd: runtime.REGISTRY_APP_DIR ?? '.',
    env: {
      PATH: process.env.PATH ?? '',
      QUARKUS_HTTP_HOST: '127.0.0.1',
      QUARKUS_HTTP_PORT: String(port),
      QUARKUS_MANAGEMENT_HOST: '127.0.0.1',
      QUARKUS_MANAGEMENT_PORT: String(managementPort),
      APICURIO_STORAGE_KIND: 'sql',
      APICURIO_STORAGE_SQL_KIND: 'postgresql',
      APICURIO_DATASOURCE_URL: `jdbc:postgresql://${admin.hostname}:${admin.port || '5432'}/${database}`,
      APICURIO_DATASOURCE_USERNAME: decodeURIComponent(admin.username),
      APICURIO_DATASOURCE_PASSWORD: decodeURIComponent(admin.password),
      APICURIO_RULES_GLOBAL_COMPATIBILITY: 'BACKWARD',
    },
    healthy: async () => (await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2_000) })).ok,
    startTimeoutMs: 180_000,
  });
  await registry.start();
  return {
    url,
    process: registry,
    async destroy() {
      await registry.kill('SIGTERM');
      await asAdmin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`).catch(
        () => undefined,
      );
    },
  };
}

/**
 * Runs scripts/chaos/<script>.sh <action>, its output into the suite's log. Asynchronous: the load
 * generator must keep sending while a fault is injected (a restart that blocked it would hide
 * every answer given meanwhile).
 */
export async function chaosScript(script: 'pgbouncer' | 'postgres', action: string): Promise<void> {
  const { stdout, stderr } = await promisify(execFile)(
    'bash',
    [join(projectRoot(), 'scripts', 'chaos', `${script}.sh`), action],
    { encoding: 'utf8' },
  );
  process.stderr.write(`${stdout}${stderr}`);
}
