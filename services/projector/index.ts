export { parkingProjection, readToEnd, replayDeadLetters, type ReplayOutcome } from './dead-letter-replay.ts';
export { DeadLetters } from './dead-letters.ts';
export { EventDecoder, UnreadableRecordError } from './incoming-event.ts';
export { isInfrastructureError } from './infrastructure-errors.ts';
export type { HandlerRetries } from './partition-batch.ts';
export { PartitionProgress, type StalledPartition } from './partition-progress.ts';
export { ProjectionConsumer } from './projection-consumer.ts';
export { ProjectorMetrics } from './projector-metrics.ts';
export {
  DEFAULT_RETRIES,
  DEFAULT_STALL_AFTER_MS,
  type ProjectorOptions,
  type RunningProjector,
  startProjector,
} from './start-projector.ts';
