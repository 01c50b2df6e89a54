/**
 * The whole pipeline of one scenario: gateways, relay replicas and projector
 * replicas as processes from dist/, on a database and Kafka topic prefix of the
 * scenario's own, against whichever PostgreSQL, Kafka, registry and Redis the
 * scenario gives (the shared stack's, or copies it can fault).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { applyTopology, loadTopology } from '../../services/messaging/index.ts';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { type BenchDatabase, createDatabase, withDatabase } from '../lib/databases.ts';
import { freePort, stackSetting } from '../lib/stack.ts';
import { CHAOS_DIR, type ServiceHandle, serviceProcess } from './processes.ts';

/** A PostgreSQL server's role URLs (database `eventline`), as a stack.env names them. */
export interface PostgresRoles {
  readonly app: string;
  readonly relay: string;
  readonly projector: string;
  readonly admin: string;
}

export function sharedPostgres(): PostgresRoles {
  return {
    app: stackSetting('DATABASE_URL'),
    relay: stackSetting('RELAY_DATABASE_URL'),
    projector: stackSetting('PROJECTOR_DATABASE_URL'),
    admin: stackSetting('ADMIN_DATABASE_URL'),
  };
}

/** The chaos suite's own cluster (scripts/chaos/postgres.sh), from .run/chaos/stack.env. */
export function chaosPostgres(): PostgresRoles {
  const file = join(CHAOS_DIR, 'stack.env');
  if (!existsSync(file)) throw new Error(`${file} is missing: scripts/chaos/postgres.sh up first`);
  const values = new Map(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
  );
  const get = (name: string) => {
    const value = values.get(name);
    if (!value) throw new Error(`${file} does not name ${name}`);
    return value;
  };
  return {
    app: get('DATABASE_URL'),
    relay: get('RELAY_DATABASE_URL'),
    projector: get('PROJECTOR_DATABASE_URL'),
    admin: get('ADMIN_DATABASE_URL'),
  };
}

/** The URL with its host and port replaced (a pooler in front of the server). */
export function through(url: string, hostPort: string): string {
  const parsed = new URL(url);
  parsed.host = hostPort;
  return parsed.toString();
}

export interface PipelineSpec {
  readonly name: string;
  readonly gateways: number;
  readonly relays: number;
  readonly projectors: number;
  readonly postgres: PostgresRoles;
  /** How the services reach their database (e.g. through PgBouncer); default: directly. */
  readonly route?: (url: string) => string;
  readonly kafkaBrokers: readonly string[];
  readonly registryUrl: string;
  readonly redisUrl: string;
  /** A topology file of the scenario's own (a three-broker cluster's replication). */
  readonly topologyFile?: string;
  /** Run once the services are stopped, before the database is dropped (a pooler holding sessions to it). */
  readonly beforeDrop?: () => Promise<void>;
}

export interface ChaosPipeline {
  readonly database: BenchDatabase;
  readonly prefix: string;
  readonly topics: readonly string[];
  readonly adminToken: string;
  readonly gateways: readonly ServiceHandle[];
  readonly relays: readonly ServiceHandle[];
  readonly projectors: readonly ServiceHandle[];
  readonly all: readonly ServiceHandle[];
  /** The API URLs of the gateways running now. */
  liveGateways(): string[];
  stop(): Promise<void>;
}

export async function startChaosPipeline(spec: PipelineSpec): Promise<ChaosPipeline> {
  const database = await createDatabase(
    { databaseUrl: spec.postgres.app, adminDatabaseUrl: spec.postgres.admin },
    `chaos_${spec.name.replace(/[^a-z0-9]/g, '_')}`,
    { migrated: true },
  );
  const prefix = `chaos_${spec.name.replace(/[^a-z0-9]/g, '_')}_${Date.now().toString(36)}.`;
  const kafka = new Kafka({ brokers: [...spec.kafkaBrokers], clientId: 'chaos', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const topology = await loadTopology(prefix, spec.topologyFile);
  const topics = [...topology.eventTopics.values()].map((t) => t.topic);
  const services: ServiceHandle[] = [];
  const route = spec.route ?? ((url: string) => url);
  const cleanUp = async () => {
    await Promise.all(services.map((service) => service.kill('SIGTERM', 20_000)));
    await admin
      .deleteTopics({ topics: [...topics, ...topology.deadLetterTopics.map((t) => t.topic)] })
      .catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await spec.beforeDrop?.();
    await database.drop();
  };
  try {
    await admin.connect();
    await applyTopology(admin, topology);
    const adminToken = randomBytes(24).toString('hex');
    const shared = {
      KAFKA_BROKERS: spec.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: spec.registryUrl,
      KAFKA_TOPIC_PREFIX: prefix,
    };
    for (let i = 0; i < spec.gateways; i++) {
      services.push(
        serviceProcess(
          'gateway',
          `${spec.name}-gateway-${i + 1}`,
          {
            DATABASE_URL: route(withDatabase(spec.postgres.app, database.name)),
            REDIS_URL: spec.redisUrl,
            ADMIN_TOKEN: adminToken,
          },
          { ops: await freePort(), api: await freePort() },
        ),
      );
    }
    for (let i = 0; i < spec.relays; i++) {
      services.push(
        serviceProcess(
          'relay',
          `${spec.name}-relay-${i + 1}`,
          { ...shared, DATABASE_URL: route(withDatabase(spec.postgres.relay, database.name)) },
          { ops: await freePort() },
        ),
      );
    }
    for (let i = 0; i < spec.projectors; i++) {
      services.push(
        serviceProcess(
          'projector',
          `${spec.name}-projector-${i + 1}`,
          {
            ...shared,
            DATABASE_URL: route(withDatabase(spec.postgres.projector, database.name)),
            REDIS_URL: spec.redisUrl,
          },
          { ops: await freePort() },
        ),
      );
    }
    await Promise.all(services.map((service) => service.start()));
    const gateways = services.filter((s) => s.service === 'gateway');
    return {
      database,
      prefix,
      topics,
      adminToken,
      gateways,
      relays: services.filter((s) => s.service === 'relay'),
      projectors: services.filter((s) => s.service === 'projector'),
      all: services,
      liveGateways: () => gateways.filter((g) => g.running()).flatMap((g) => (g.apiUrl ? [g.apiUrl] : [])),
      stop: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** The sum of one metric's series over the services' /metrics (a service that does not answer counts 0). */
export async function metricSum(services: readonly ServiceHandle[], metric: string): Promise<number> {
  let total = 0;
  for (const service of services) {
    try {
      const text = await (
        await fetch(`${service.opsUrl}/metrics`, { signal: AbortSignal.timeout(2_000) })
      ).text();
      for (const match of text.matchAll(new RegExp(`^${metric}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))) {
        total += Number(match[1]);
      }
    } catch {
      // down: nothing to add
    }
  }
  return total;
}

/** The project's topology with another replication (a three-broker cluster's), written under .run/chaos. */
export function topologyWithReplication(
  name: string,
  replicationFactor: number,
  minInsyncReplicas: number,
): string {
  const source = JSON.parse(readFileSync(join(projectRoot(), 'topology', 'topology.json'), 'utf8')) as {
    topics: { replicationFactor: number; minInsyncReplicas: number }[];
    deadLetters: { replicationFactor: number; minInsyncReplicas: number };
  };
  for (const topic of [...source.topics, source.deadLetters]) {
    topic.replicationFactor = replicationFactor;
    topic.minInsyncReplicas = minInsyncReplicas;
  }
  const file = join(CHAOS_DIR, name, 'topology.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(source, null, 2)}\n`);
  return file;
}
