/**
 * A Kafka broker of a test's own (KRaft, one node) from the local stack's jars,
 * on free ports with its data in a temporary directory, so a test may stop and
 * restart it without disturbing the shared broker other test files use.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from './ports.ts';
import { waitFor } from './wait.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LIBS = join(ROOT, '.run', 'kafka', 'libs');

export interface KafkaInstance {
  readonly brokers: string[];
  /** Stops the broker (SIGTERM, then waits for the JVM to exit); its data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

function javaArgs(dir: string): string[] {
  return [
    '-Xms128m',
    '-Xmx384m',
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    '-Dlog4j2.configurationFile=' + join(dir, 'log4j2.properties'),
    '-cp',
    `${LIBS}/*`,
  ];
}

async function answers(brokers: string[]): Promise<true | undefined> {
  const admin = new Kafka({
    brokers,
    clientId: 'kafka-instance-probe',
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
  }).admin();
  try {
    await admin.connect();
    const { brokers: found } = await admin.describeCluster();
    return found.length > 0 ? true : undefined;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface KafkaInstanceOptions {
  /**
   * The port clients are told to reach the broker at, where a proxy of the
   * test (a TcpProxy) forwards to the broker's own port: every
   * connection of every client then goes through the proxy.
   */
  readonly advertisedPort?: number;
  /** Told the broker's own port before it starts (it is probed through the advertised one). */
  readonly listening?: (port: number) => Promise<void>;
}

export async function startKafkaInstance(options: KafkaInstanceOptions = {}): Promise<KafkaInstance> {
  if (!existsSync(LIBS)) throw new Error(`no Kafka jars in ${LIBS}: run make up first`);
  const dir = mkdtempSync(join(tmpdir(), 'eventline-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const advertisedPort = options.advertisedPort ?? port;
  await options.listening?.(port);
  const config = join(dir, 'server.properties');
  writeFileSync(
    config,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${advertisedPort}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=3',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=3',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'log4j2.properties'),
    [
      'status = warn',
      'appender.console.type = Console',
      'appender.console.name = STDOUT',
      'appender.console.layout.type = PatternLayout',
      'appender.console.layout.pattern = %p %m%n',
      'rootLogger.level = warn',
      'rootLogger.appenderRef.stdout.ref = STDOUT',
      '',
    ].join('\n'),
  );
  const clusterId = execFileSync('java', [...javaArgs(dir), 'kafka.tools.StorageTool', 'random-uuid'], {
    encoding: 'utf8',
  }).trim();
  execFileSync(
    'java',
    [...javaArgs(dir), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config],
    { stdio: 'ignore' },
  );

  const brokers = [`127.0.0.1:${advertisedPort}`];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    const broker = spawn('java', [...javaArgs(dir), 'kafka.Kafka', config], { stdio: 'ignore' });
    child = broker;
    exited = new Promise((resolve) => broker.once('exit', () => resolve()));
    await waitFor(`the test broker on ${brokers[0]}`, () => answers(brokers), {
      timeoutMs: 90_000,
      intervalMs: 250,
    });
  };
  const stop = async () => {
    child?.kill('SIGTERM');
    await exited;
    child = undefined;
  };
  await start();
  return {
    brokers,
    start,
    stop,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
