import type { ReadinessCheck } from '../platform/health/index.ts';
import type { Logger } from '../platform/telemetry/index.ts';
import type { BackupMetrics } from './backup-metrics.ts';
import type { PgBackRest } from './pgbackrest.ts';

/**
 * Reads the repository now and then every interval, into the metrics. A
 * failed read is logged when reads start failing and when they recover, not
 * at every interval, and said on /ready as `degraded`: the exporter stays
 * ready, so Prometheus keeps scraping the failure.
 */
export class RepositoryWatch {
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private lastFailure: string | undefined;
  private read = false;

  constructor(
    private readonly pgbackrest: PgBackRest,
    private readonly metrics: BackupMetrics,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  /** Resolves after the first read, whatever its outcome. */
  async start(): Promise<void> {
    await this.readOnce();
    this.timer = setInterval(() => void this.readOnce(), this.intervalMs);
  }

  readonly readiness: ReadinessCheck = {
    name: 'pgbackrest-repository',
    essential: false,
    check: async () => {
      if (this.lastFailure !== undefined) throw new Error(this.lastFailure);
      if (!this.read) throw new Error('not read yet');
    },
  };

  /** Stops reading, after the read in flight. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.reading;
  }

  private readOnce(): Promise<void> {
    // A slow repository (S3) never gets two reads at once.
    this.reading ??= this.readRepository().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readRepository(): Promise<void> {
    try {
      const state = await this.pgbackrest.state();
      const segment = state.newestSegment;
      const archivedAt = segment
        ? await this.pgbackrest.archivedAt(segment.archiveId, segment.segment)
        : undefined;
      this.metrics.record(state, archivedAt);
      if (this.lastFailure !== undefined) this.log.info('pgBackRest repository read again');
      this.lastFailure = undefined;
      this.read = true;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.metrics.failed();
      if (this.lastFailure !== reason) this.log.error({ reason }, 'cannot read the pgBackRest repository');
      this.lastFailure = reason;
    }
  }
}
