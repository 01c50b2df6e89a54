export { kafkaRecord } from './kafka-record.ts';
export { DEFAULT_SETTINGS, OutboxRelay, type RelaySettings } from './outbox-relay.ts';
export { Publisher } from './publisher.ts';
export { RelayMetrics } from './relay-metrics.ts';
export { type RelayOptions, startRelay, type RunningRelay } from './start-relay.ts';
