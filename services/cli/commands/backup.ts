import { BackupMetrics, PgBackRest, RepositoryWatch } from '../../backup/index.ts';
import { env } from '../../platform/config/index.ts';
import { OpsEndpoint } from '../../platform/health/index.ts';
import { runService } from '../../platform/lifecycle/index.ts';
import { createMetricsRegistry } from '../../platform/telemetry/index.ts';
import type { CommandSpec } from '../command-line.ts';

export const backupCommands: readonly CommandSpec[] = [
  {
    path: ['backup', 'exporter'],
    summary:
      "Serves the pgBackRest repository's backups as metrics: the newest completed backup of each type (when, how long, how big), when the newest WAL segment was archived, and whether the last read failed. Reads it every BACKUP_READ_INTERVAL_SECONDS; /metrics, /health and /ready on BACKUP_EXPORTER_PORT; runs until SIGTERM.",
    environment: [
      'BACKUP_EXPORTER_PORT',
      'HOST',
      'BACKUP_STANZA',
      'BACKUP_READ_INTERVAL_SECONDS',
      'PGBACKREST_CONFIG',
    ],
    async run() {
      await runService(
        'backup-exporter',
        {
          HOST: env.HOST,
          BACKUP_EXPORTER_PORT: env.BACKUP_EXPORTER_PORT,
          BACKUP_STANZA: env.BACKUP_STANZA,
          BACKUP_READ_INTERVAL_SECONDS: env.BACKUP_READ_INTERVAL_SECONDS,
        },
        async (config, { log }) => {
          const registry = createMetricsRegistry('backup-exporter');
          const intervalMs = config.BACKUP_READ_INTERVAL_SECONDS * 1000;
          const watch = new RepositoryWatch(
            new PgBackRest(config.BACKUP_STANZA, intervalMs),
            new BackupMetrics(registry),
            log,
            intervalMs,
          );
          const ops = new OpsEndpoint([watch.readiness], registry);
          // Listening first: /health answers while a slow repository (S3) is read.
          const port = await ops.listen(config.HOST, config.BACKUP_EXPORTER_PORT);
          await watch.start();
          log.info({ port, stanza: config.BACKUP_STANZA }, 'backup exporter serving /metrics');
          return [
            { name: 'ops endpoint', close: () => ops.close() },
            { name: 'repository watch', close: () => watch.close() },
          ];
        },
      );
    },
  },
];
