export { BackupMetrics } from './backup-metrics.ts';
export { PgBackRest } from './pgbackrest.ts';
export {
  type BackupType,
  type CompletedBackup,
  type RepositoryState,
  RepositoryUnreadable,
  repositoryState,
} from './repository-info.ts';
export { RepositoryWatch } from './repository-watch.ts';
