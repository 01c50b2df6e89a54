import { isOutage } from '../platform/resilience/index.ts';

/**
 * An error that says a dependency is away (PostgreSQL, Kafka, the registry, or
 * a circuit breaker holding calls back from one), not that the event is bad:
 * the projector waits and retries the batch, and never parks the event on its
 * dead-letter topic for it. The classification is platform/resilience's, as
 * every service's.
 */
export function isInfrastructureError(error: unknown): boolean {
  return isOutage(error);
}

// What kafkajs' runner answers by rejoining the group, when it sees it come out of eachBatch.
const GROUP_CHANGES = new Set([
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
]);

/**
 * Kafka says this member's generation is over (a rebalance, a replica gone):
 * the batch must end so the consumer rejoins. Retrying it in place instead
 * keeps the member out of the rebalance until the group evicts it, and stalls
 * the takeover of a dead replica's partitions. The checkpoint keeps it exact.
 */
export function isGroupChange(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const type = (error as { type?: unknown }).type;
  return (typeof type === 'string' && GROUP_CHANGES.has(type)) || isGroupChange(error.cause);
}

/**
 * kafkajs gave a consumer up (a crash it does not restart) for a dependency
 * away, not for an error of ours: what the projector restarts the consumer
 * for itself. kafkajs restarts only for errors it calls retriable, and a
 * broker that drops the connection while the group is looked for answers
 * KafkaJSGroupCoordinatorNotFound, which it does not (tulios/kafkajs#1630):
 * the consumer then stopped for good, however soon the broker came back.
 * The innermost cause decides: kafkajs wraps whatever ended the run,
 * an error thrown by our own code too, in a KafkaJSNonRetriableError.
 */
export function isOutageCrash(error: unknown): boolean {
  let innermost = error;
  for (let depth = 0; depth < 10; depth++) {
    const cause = (innermost as { cause?: unknown } | null | undefined)?.cause;
    if (cause === undefined || cause === null) break;
    innermost = cause;
  }
  return isOutage(innermost);
}
