import { Counter, type Registry } from 'prom-client';
import type { ReadinessCheck } from '../platform/health/index.ts';
import type { Logger } from '../platform/telemetry/index.ts';

/**
 * Records whose event the store does not hold: Kafka kept events that a
 * restore of the store to an earlier point took away (docs/recovery.md). They
 * are applied as before, so the read models now hold what the store lost, and
 * the projector says so instead of serving it silently: its /ready turns
 * degraded naming the first such record (the data is wrong, not this process),
 * an error line per batch, and
 * eventline_projector_records_not_in_store_total. The way out is the restore's
 * (recovery.md): settle what Kafka keeps, rebuild the projections from the
 * store, restart the projector.
 */
export class RecordsNotInStore {
  private first: string | undefined;
  private seen = 0;
  private readonly counter: Counter<'projection'>;

  constructor(
    registry: Registry,
    private readonly log: Logger,
  ) {
    this.counter = new Counter({
      name: 'eventline_projector_records_not_in_store_total',
      help: 'Records read whose event the store does not hold (a store restored behind Kafka)',
      labelNames: ['projection'],
      registers: [registry],
    });
  }

  /** A batch's records whose global positions the store has no event at. */
  note(projection: string, topic: string, partition: number, positions: readonly number[]): void {
    if (positions.length === 0) return;
    this.seen += positions.length;
    this.first ??= `${topic}[${partition}] global position ${positions[0]}`;
    this.counter.inc({ projection }, positions.length);
    this.log.error(
      { projection, topic, partition, positions },
      'records whose events the store does not hold: a store restored behind Kafka? (docs/recovery.md)',
    );
  }

  readonly readiness: ReadinessCheck = {
    name: 'store-vs-kafka',
    essential: false,
    check: async () => {
      if (this.first === undefined) return;
      throw new Error(
        `read ${this.seen} record(s) whose events the store does not hold, first ${this.first}: ` +
          'the store was restored behind Kafka? Rebuild the projections from the store, then restart (docs/recovery.md)',
      );
    },
  };
}
