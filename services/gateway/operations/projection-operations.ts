import type { Admin } from 'kafkajs';
import type { DatabasePool } from 'slonik';
import type { EventStore } from '../../eventstore/index.ts';
import type { Topology } from '../../messaging/index.ts';
import { CommandRejectedError, NotFoundError } from '../../platform/errors/index.ts';
import type { Logger } from '../../platform/telemetry/index.ts';
import {
  checkConsistency,
  type ConsistencyReport,
  type PartitionCheckpoint,
  partitionCheckpoints,
  type Projection,
  projectionNamed,
  projections,
  rebuildProjection,
  rebuildStates,
} from '../../readmodels/index.ts';

/** Where one projection stands on one partition of one of its topics. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The next record it will apply; the partition's start when it has applied none yet. */
  readonly nextOffset: number;
  /** The partition's end (the offset the next record published gets). */
  readonly endOffset: number;
  /** Records published that it has not applied. */
  readonly lag: number;
  /** When it last committed a batch of this partition, if ever. */
  readonly lastAppliedAt: string | null;
  /** While behind, seconds since it last applied anything here: how long the oldest waiting record has at least waited. */
  readonly secondsBehind: number;
  /** Behind, and nothing applied for longer than the projector's stall threshold. */
  readonly stalled: boolean;
}

export interface ProjectionLag {
  readonly projection: string;
  readonly group: string;
  readonly lag: number;
  readonly stalled: boolean;
  /** Events it parked on its dead-letter topic. */
  readonly parked: number;
  readonly partitions: readonly PartitionLag[];
}

export interface RebuildView {
  readonly projection: string;
  readonly state: string;
  readonly pass: number;
  readonly eventsApplied: number;
  readonly eventsTotal: number;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly swappedAt: string | null;
  /** A rebuild this gateway runs now. */
  readonly running: boolean;
  /** Why the last rebuild this gateway ran failed, if it did. */
  readonly failure: string | null;
}

export interface ProjectionOperationsOptions {
  /** The schema owner's pool (OPERATIONS_DATABASE_URL): checkpoints, rebuilds and the consistency check need it. */
  readonly pool: DatabasePool;
  /** The event store on that pool, which reads every tenant's events. */
  readonly events: EventStore;
  readonly admin: Admin;
  readonly topology: Topology;
  readonly log: Logger;
  /** As the projector judges a partition stalled (its /ready): behind and nothing applied for this long. */
  readonly stallAfterMs: number;
  readonly now?: () => number;
  /** Closes what the operations opened (the owner's pool), after close() stopped them. */
  readonly onClose?: () => Promise<void>;
}

/**
 * The projections as the admin console and API see and operate them: lag per
 * partition (checkpoints against the topics' end offsets), rebuilds started
 * here and run in the background (resumable: a gateway stopped mid-way leaves
 * one the next start resumes), and the consistency check. The same functions
 * as `eventline projections status|rebuild|verify`.
 */
export class ProjectionOperations {
  private readonly running = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly failures = new Map<string, string>();
  private connected: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: ProjectionOperationsOptions) {
    this.now = options.now ?? Date.now;
  }

  private declared(): { projection: Projection; group: string; topics: string[] }[] {
    return this.options.topology.consumerGroups.map(({ projection: name, group }) => {
      const projection = projectionNamed(name);
      const topics = projection.sources.flatMap((source) => {
        const topic = this.options.topology.eventTopics.get(source)?.topic;
        return topic ? [topic] : [];
      });
      return { projection, group, topics };
    });
  }

  async lag(): Promise<ProjectionLag[]> {
    this.connected ??= this.options.admin.connect();
    await this.connected;
    const declared = this.declared();
    const topics = [...new Set(declared.flatMap(({ topics }) => topics))];
    const [checkpoints, ends] = await Promise.all([
      partitionCheckpoints(this.options.pool),
      Promise.all(
        topics.map(async (topic) => ({ topic, offsets: await this.options.admin.fetchTopicOffsets(topic) })),
      ),
    ]);
    const now = this.now();
    return declared.map(({ projection, group, topics: its }) => {
      const own = checkpoints.filter((checkpoint) => checkpoint.projection === projection.name);
      const partitions = ends
        .filter(({ topic }) => its.includes(topic))
        .flatMap(({ topic, offsets }) =>
          offsets.map((offsets) => this.partitionLag(topic, offsets, own, now)),
        )
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
      return {
        projection: projection.name,
        group,
        lag: partitions.reduce((sum, partition) => sum + partition.lag, 0),
        stalled: partitions.some((partition) => partition.stalled),
        parked: own[0]?.parked ?? 0,
        partitions,
      };
    });
  }

  private partitionLag(
    topic: string,
    offsets: { partition: number; high: string; low: string },
    checkpoints: readonly PartitionCheckpoint[],
    now: number,
  ): PartitionLag {
    const checkpoint = checkpoints.find(
      (each) => each.topic === topic && each.partition === offsets.partition,
    );
    const endOffset = Number(offsets.high);
    const nextOffset = checkpoint?.nextOffset ?? Number(offsets.low);
    const lag = Math.max(0, endOffset - nextOffset);
    const idleMs = checkpoint ? now - checkpoint.updatedAt.getTime() : Number.POSITIVE_INFINITY;
    return {
      topic,
      partition: offsets.partition,
      nextOffset,
      endOffset,
      lag,
      lastAppliedAt: checkpoint?.updatedAt.toISOString() ?? null,
      secondsBehind: lag > 0 && Number.isFinite(idleMs) ? Math.max(0, Math.round(idleMs / 1000)) : 0,
      stalled: lag > 0 && idleMs > this.options.stallAfterMs,
    };
  }

  async rebuilds(): Promise<RebuildView[]> {
    const states = await rebuildStates(this.options.pool);
    const known = new Set(states.map((state) => state.projection));
    const startedHere = [...this.running.keys(), ...this.failures.keys()].filter((name) => !known.has(name));
    return [
      ...states.map((state) => ({
        projection: state.projection,
        state: state.state,
        pass: state.pass,
        eventsApplied: state.eventsApplied,
        eventsTotal: state.eventsTotal,
        startedAt: state.startedAt.toISOString(),
        updatedAt: state.updatedAt.toISOString(),
        swappedAt: state.swappedAt?.toISOString() ?? null,
        running: this.running.has(state.projection),
        failure: this.failures.get(state.projection) ?? null,
      })),
      // Started here, with no row of its own yet (its first page is under way), or failed before one.
      ...[...new Set(startedHere)].map((projection) => ({
        projection,
        state: this.running.has(projection) ? 'starting' : 'failed',
        pass: 0,
        eventsApplied: 0,
        eventsTotal: 0,
        startedAt: new Date(this.now()).toISOString(),
        updatedAt: new Date(this.now()).toISOString(),
        swappedAt: null,
        running: this.running.has(projection),
        failure: this.failures.get(projection) ?? null,
      })),
    ];
  }

  /** Starts rebuilding the projection in the background; its progress is in rebuilds(). */
  startRebuild(name: string): { projection: string } {
    const projection = this.named(name);
    if (this.running.has(projection.name)) {
      throw new CommandRejectedError(
        'rebuild-running',
        `${projection.name} is being rebuilt by this gateway already`,
      );
    }
    this.failures.delete(projection.name);
    const run = rebuildProjection(this.options.pool, projection, {
      events: this.options.events,
      signal: this.stopping.signal,
    })
      .then((report) => this.options.log.info({ ...report }, 'projection rebuilt and swapped in'))
      .catch((error: unknown) => {
        this.failures.set(projection.name, error instanceof Error ? error.message : String(error));
        this.options.log.error({ err: error, projection: projection.name }, 'projection rebuild failed');
      })
      .finally(() => this.running.delete(projection.name));
    this.running.set(projection.name, run);
    return { projection: projection.name };
  }

  verify(name: string): Promise<ConsistencyReport> {
    return checkConsistency(this.options.pool, this.named(name), this.options.events);
  }

  /** At shutdown: stops the rebuilds this gateway runs between two pages (the next start resumes them). */
  async close(): Promise<void> {
    this.stopping.abort(new Error('the gateway is shutting down; start the rebuild again to resume it'));
    await Promise.all(this.running.values());
    if (this.connected) await this.options.admin.disconnect();
    await this.options.onClose?.();
  }

  private named(name: string): Projection {
    const found = projections.find((projection) => projection.name === name);
    if (!found) throw new NotFoundError(`no projection ${name}`);
    return found;
  }
}
