/**
 * The names docs/contracts.md §8 gives downstream teams, in one place: a topic per
 * bounded context, subjects by TopicRecordNameStrategy, DLQs per projection.
 */

/** `<prefix><context>.events`: the topic of a bounded context. */
export function eventTopic(prefix: string, context: string): string {
  return `${prefix}${context}.events`;
}

/** `<topic>-<record full name>`: the registry subject of one record type on one topic. */
export function subjectName(topic: string, recordFullName: string): string {
  return `${topic}-${recordFullName}`;
}

/** `<source topic>.<projection>.dlq`: where a projection parks what it cannot process. */
export function deadLetterTopic(sourceTopic: string, projection: string): string {
  return `${sourceTopic}.${projection}.dlq`;
}

/** Consumer groups carry the prefix too, so two installations on one cluster never share a group. */
export function consumerGroup(prefix: string, group: string): string {
  return `${prefix}${group}`;
}
