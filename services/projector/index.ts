export { DeadLetters } from './dead-letters.ts';
export { EventDecoder, UnreadableRecordError } from './incoming-event.ts';
export { isInfrastructureError } from './infrastructure-errors.ts';
export { applyPartitionBatch, type HandlerRetries } from './partition-batch.ts';
export { ProjectionConsumer } from './projection-consumer.ts';
export { ProjectorMetrics } from './projector-metrics.ts';
export {
  DEFAULT_RETRIES,
  type ProjectorOptions,
  type RunningProjector,
  startProjector,
} from './start-projector.ts';
