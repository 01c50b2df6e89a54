import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type ErrorKind = 'kafka' | 'registry' | 'encoding' | 'database' | 'lease';

// Millisecond steps up to 30 ms, where the latency target (commit-to-ack p99 ≤ 20 ms) lies.
const LATENCY_BUCKETS = [
  0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.012, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075,
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** The relay's metrics (docs/contracts.md §7 /metrics), registered on the process's one registry. */
export class RelayMetrics {
  readonly published: Counter<'topic'>;
  readonly batchSize: Histogram;
  readonly commitToAck: Histogram;
  readonly outboxRead: Histogram;
  readonly send: Histogram;
  readonly errors: Counter<'kind'>;
  readonly lanesHeld: Gauge;
  readonly haltedTenants: Gauge;
  readonly storeBehindKafka: Gauge;

  constructor(registry: Registry, backlog: () => Promise<{ rows: number; oldestAgeSeconds: number }>) {
    const registers = [registry];
    this.published = new Counter({
      name: 'eventline_relay_events_published_total',
      help: 'Events Kafka acknowledged, by topic (rate() of it is the publish rate)',
      labelNames: ['topic'],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'eventline_relay_batch_size',
      help: 'Events per produce request',
      buckets: [1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    });
    this.commitToAck = new Histogram({
      name: 'eventline_relay_commit_to_ack_seconds',
      help: "From the outbox row's write (in the append's statement) to Kafka's acknowledgement",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    // The two parts of commit-to-ack that are the relay's own round trips, so a slow relay shows
    // whether PostgreSQL or Kafka holds it; the rest is the commit and the wait for the next read.
    this.outboxRead = new Histogram({
      name: 'eventline_relay_outbox_read_seconds',
      help: 'One read of the outbox (a page, with the delete of acknowledged rows it carries), call to answer',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.send = new Histogram({
      name: 'eventline_relay_send_seconds',
      help: "A batch's hand-over to the Kafka producer to its acknowledgement, the wait behind the batch in flight included",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.errors = new Counter({
      name: 'eventline_relay_errors_total',
      help: 'Failures by kind: kafka, registry, encoding (a tenant halted), database, lease',
      labelNames: ['kind'],
      registers,
    });
    for (const kind of ['kafka', 'registry', 'encoding', 'database', 'lease'] satisfies ErrorKind[]) {
      this.errors.inc({ kind }, 0);
    }
    this.lanesHeld = new Gauge({
      name: 'eventline_relay_lanes_held',
      help: 'Outbox lanes this replica holds a lease on',
      registers,
    });
    this.haltedTenants = new Gauge({
      name: 'eventline_relay_halted_tenants',
      help: 'Tenants stopped at an event that cannot be encoded (relay_halted_tenants)',
      registers,
    });
    this.storeBehindKafka = new Gauge({
      name: 'eventline_relay_store_behind_kafka_records',
      help: 'Partitions whose newest record names an event the store lacks (restored behind Kafka): not publishing while > 0',
      registers,
    });
    // Read when scraped, so the figures are current and cost nothing between scrapes; both
    // gauges collect at once, so they share one query.
    let reading: { at: number; figures: Promise<{ rows: number; oldestAgeSeconds: number }> } | undefined;
    const current = () => {
      if (!reading || Date.now() - reading.at > 500) reading = { at: Date.now(), figures: backlog() };
      return reading.figures;
    };
    new Gauge({
      name: 'eventline_relay_outbox_backlog_rows',
      help: 'Outbox rows waiting',
      registers,
      async collect() {
        // The database down: /ready says so; the gauge keeps its last value.
        await current().then(
          (figures) => this.set(figures.rows),
          () => undefined,
        );
      },
    });
    new Gauge({
      name: 'eventline_relay_outbox_oldest_age_seconds',
      help: 'Age of the oldest outbox row waiting',
      registers,
      async collect() {
        await current().then(
          (figures) => this.set(figures.oldestAgeSeconds),
          () => undefined,
        );
      },
    });
  }
}
