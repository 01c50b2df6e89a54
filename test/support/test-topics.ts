import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Remembers a prefix whose topics a test created, for the run's global
 * teardown to delete: the local stack's broker outlives the run, and topics
 * left behind made it slower to start after every run.
 */
export function rememberTopicPrefix(prefix: string): void {
  const directory = process.env.EVENTLINE_TEST_TOPIC_PREFIXES;
  if (directory) appendFileSync(join(directory, String(process.pid)), `${prefix}\n`);
}
