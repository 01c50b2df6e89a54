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
