import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { DatabasePool } from 'slonik';
import { EventSchemas } from '../../services/avro/index.ts';
import { type EventStore, PostgresEventStore, Upcasters } from '../../services/eventstore/index.ts';
import { openDatabase } from '../../services/platform/database/index.ts';
import { createLogger } from '../../services/platform/telemetry/index.ts';
import type { TenantId } from '../../services/platform/tenancy/index.ts';
import {
  type ProjectorOptions,
  type RunningProjector,
  startProjector,
} from '../../services/projector/index.ts';
import {
  awaitPosition,
  checkConsistency,
  type ConsistencyReport,
  type Projection,
  projections,
} from '../../services/readmodels/index.ts';
import { type RelayOptions, type RunningRelay, startRelay } from '../../services/relay/index.ts';
import type { TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';

/** The event store on a pool, as the gateway and the CLI open it. */
export async function eventStoreOn(pool: DatabasePool): Promise<EventStore> {
  return new PostgresEventStore(pool, await EventSchemas.load(), new Upcasters());
}

const quiet = () => createLogger('test', (process.env.PROJECTOR_TEST_LOG_LEVEL ?? 'silent') as 'silent');

export function registry(): SchemaRegistry {
  return new SchemaRegistry({ host: endpoints().schemaRegistryUrl });
}

export async function startTestRelay(
  db: TestDatabase,
  prefix: string,
  options: Partial<RelayOptions> = {},
): Promise<RunningRelay> {
  return startRelay({
    databaseUrl: db.relayUrl,
    kafka: { brokers: endpoints().kafkaBrokers },
    schemaRegistry: { url: endpoints().schemaRegistryUrl },
    topicPrefix: prefix,
    host: '127.0.0.1',
    port: 0,
    log: quiet(),
    ...options,
  });
}

export async function startTestProjector(
  db: TestDatabase,
  prefix: string,
  options: Partial<ProjectorOptions> = {},
): Promise<RunningProjector> {
  return startProjector({
    databaseUrl: db.projectorUrl,
    kafka: { brokers: endpoints().kafkaBrokers },
    schemaRegistry: { url: endpoints().schemaRegistryUrl },
    topicPrefix: prefix,
    host: '127.0.0.1',
    port: 0,
    log: quiet(),
    redis: { url: endpoints().redisUrl },
    retries: { attempts: 2, delayMs: 10 },
    ...options,
  });
}

/** The check `eventline projections verify` runs, as the test database's owner. */
export async function verifyAll(
  db: TestDatabase,
  which: readonly Projection[] = projections,
): Promise<ConsistencyReport[]> {
  const owner = await openDatabase(db.adminUrl, { maximumPoolSize: 2 });
  const events = await eventStoreOn(owner);
  try {
    const reports: ConsistencyReport[] = [];
    for (const projection of which) reports.push(await checkConsistency(owner, projection, events));
    return reports;
  } finally {
    await owner.end();
  }
}

/**
 * Waits (through read-your-writes, as the gateway does) until every projection
 * has applied each tenant's events up to the tenant's last position.
 */
export async function awaitCaughtUp(
  appUrl: string,
  lastPositions: ReadonlyMap<TenantId, number>,
  which: readonly Projection[] = projections,
  timeoutMs = 60_000,
): Promise<void> {
  const pool: DatabasePool = await openDatabase(appUrl, { maximumPoolSize: 4 });
  const events = await eventStoreOn(pool);
  try {
    for (const [tenant, position] of lastPositions) {
      for (const projection of which)
        await awaitPosition(pool, events, projection.name, tenant, position, timeoutMs);
    }
  } finally {
    await pool.end();
  }
}
