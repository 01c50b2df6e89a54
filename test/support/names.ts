import { randomBytes } from 'node:crypto';

/** A name no other test run uses, valid as a Kafka topic, group, SQL identifier or Redis key prefix. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}
