import { Gauge, type Registry } from 'prom-client';
import { backupTypes, type RepositoryState } from './repository-info.ts';

/**
 * What the exporter says of the repository on /metrics. `type` is one of
 * pgBackRest's three backup types (full, diff, incr): bounded by the code.
 * A type with no completed backup has no series, so an alert on the newest
 * backup takes the max over the types there are.
 */
export class BackupMetrics {
  private readonly completed: Gauge<'type'>;
  private readonly duration: Gauge<'type'>;
  private readonly databaseBytes: Gauge<'type'>;
  private readonly repositoryBytes: Gauge<'type'>;
  private readonly walArchived: Gauge;
  private readonly readFailed: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.completed = new Gauge({
      name: 'eventline_backup_last_completed_timestamp_seconds',
      help: 'When the newest backup of this type that completed without error ended (seconds since the epoch)',
      labelNames: ['type'],
      registers,
    });
    this.duration = new Gauge({
      name: 'eventline_backup_last_duration_seconds',
      help: 'How long the newest completed backup of this type took, from its start to its end',
      labelNames: ['type'],
      registers,
    });
    this.databaseBytes = new Gauge({
      name: 'eventline_backup_last_database_bytes',
      help: 'The size of the database the newest completed backup of this type copied',
      labelNames: ['type'],
      registers,
    });
    this.repositoryBytes = new Gauge({
      name: 'eventline_backup_last_repository_bytes',
      help: 'What the newest completed backup of this type added to the repository (compressed)',
      labelNames: ['type'],
      registers,
    });
    this.walArchived = new Gauge({
      name: 'eventline_backup_wal_archived_timestamp_seconds',
      help: 'When the newest archived WAL segment reached the repository (seconds since the epoch)',
      registers,
    });
    this.readFailed = new Gauge({
      name: 'eventline_backup_info_failed',
      help: 'Whether the last read of the repository (pgbackrest info) failed: 1, or 0 when it read',
      registers,
    });
  }

  /** A read of the repository: its backups replace what the last read said. */
  record(state: RepositoryState, walArchivedAt: number | undefined): void {
    for (const type of backupTypes) {
      const backup = state.newest.get(type);
      const gauges = [this.completed, this.duration, this.databaseBytes, this.repositoryBytes];
      if (!backup) {
        for (const gauge of gauges) gauge.remove(type);
        continue;
      }
      this.completed.set({ type }, backup.completedAt);
      this.duration.set({ type }, backup.completedAt - backup.startedAt);
      this.databaseBytes.set({ type }, backup.databaseBytes);
      this.repositoryBytes.set({ type }, backup.repositoryBytes);
    }
    if (walArchivedAt === undefined) this.walArchived.reset();
    else this.walArchived.set(walArchivedAt);
    this.readFailed.set(0);
  }

  /** A failed read: the backups' series keep the last values read, which still say how old they are. */
  failed(): void {
    this.readFailed.set(1);
  }
}
