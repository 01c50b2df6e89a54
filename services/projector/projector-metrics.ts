import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The projector's metrics (docs/contracts.md §7 /metrics), on the process's one registry. */
export class ProjectorMetrics {
  readonly applied: Counter<'projection'>;
  readonly parked: Counter<'projection'>;
  readonly batchSeconds: Histogram<'projection'>;
  readonly lagMessages: Gauge<'projection' | 'topic' | 'partition'>;
  readonly lagSeconds: Gauge<'projection' | 'topic' | 'partition'>;
  readonly infrastructureRetries: Counter<'projection'>;
  readonly consumerRestarts: Counter<'projection'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.applied = new Counter({
      name: 'eventline_projector_events_applied_total',
      help: 'Events applied to read models (rate() of it is events applied per second)',
      labelNames: ['projection'],
      registers,
    });
    this.parked = new Counter({
      name: 'eventline_projector_dead_letters_total',
      help: 'Events parked on a dead-letter topic after their retries',
      labelNames: ['projection'],
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'eventline_projector_batch_duration_seconds',
      help: 'One partition batch: decode, apply, checkpoint, commit',
      labelNames: ['projection'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.lagMessages = new Gauge({
      name: 'eventline_projector_lag_messages',
      help: 'Records behind the partition end, as of the last batch',
      labelNames: ['projection', 'topic', 'partition'],
      registers,
    });
    this.lagSeconds = new Gauge({
      name: 'eventline_projector_lag_seconds',
      help: 'Age of the last applied event while records are behind it; 0 when caught up',
      labelNames: ['projection', 'topic', 'partition'],
      registers,
    });
    this.infrastructureRetries = new Counter({
      name: 'eventline_projector_infrastructure_retries_total',
      help: 'Batches retried because PostgreSQL, Kafka or the registry was away',
      labelNames: ['projection'],
      registers,
    });
    this.consumerRestarts = new Counter({
      name: 'eventline_projector_consumer_restarts_total',
      help: 'Consumers kafkajs gave up during a Kafka outage, started again by the projector',
      labelNames: ['projection'],
      registers,
    });
  }
}
