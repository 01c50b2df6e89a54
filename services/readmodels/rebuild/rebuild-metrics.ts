import { Gauge, type Registry } from 'prom-client';
import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { sql } from '../../platform/database/index.ts';

const rebuildRow = z.object({
  projection: z.string(),
  events_applied: z.number().int(),
  events_total: z.number().int(),
  state: z.string(),
});

type RebuildRow = z.infer<typeof rebuildRow>;

/**
 * A rebuild runs in the CLI, a process of its own, and persists its progress
 * in readmodels.rebuilds: the projector reports it at each scrape (one small
 * read), so the rebuild shows where the projector's other metrics are.
 */
export function registerRebuildMetrics(registry: Registry, pool: DatabasePool): void {
  let last: readonly RebuildRow[] = [];
  let reading: Promise<readonly RebuildRow[]> | undefined;
  // Both gauges are collected in one scrape: they share one read.
  const read = (): Promise<readonly RebuildRow[]> => {
    reading ??= pool
      .any(
        sql.type(rebuildRow)`SELECT projection, events_applied, events_total, state FROM readmodels.rebuilds`,
      )
      .then(
        (rows) => (last = rows),
        // PostgreSQL away: /ready says so; the last figures stand meanwhile.
        () => last,
      )
      .finally(() => (reading = undefined));
    return reading;
  };
  // projection: bounded by the projections in code (a row of readmodels.rebuilds each).
  const labelNames = ['projection'] as const;
  new Gauge({
    name: 'eventline_projector_rebuild_progress_ratio',
    help: 'Share of the events a projection rebuild has applied so far (1 once swapped in)',
    labelNames,
    registers: [registry],
    async collect() {
      for (const row of await read()) {
        const ratio =
          row.state === 'swapped'
            ? 1
            : row.events_total > 0
              ? Math.min(1, row.events_applied / row.events_total)
              : 0;
        this.set({ projection: row.projection }, ratio);
      }
    },
  });
  new Gauge({
    name: 'eventline_projector_rebuild_events_applied',
    help: 'Events the latest rebuild of a projection has applied to its shadow tables',
    labelNames,
    registers: [registry],
    async collect() {
      for (const row of await read()) this.set({ projection: row.projection }, Number(row.events_applied));
    },
  });
}
