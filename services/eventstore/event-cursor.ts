import type { Checkpoint } from './records.ts';

const DIGITS = 20;
const CURSOR = /^(\d{20})-(\d{20})$/;

/**
 * A point of the commit order as text: the transaction id, then the global
 * position, each as 20 zero-padded digits, so that comparing two cursors as
 * strings (byte by byte) compares them in commit order. The relay sends it as
 * each record's `event-cursor` header and exports write it on each event line,
 * so a consumer checkpoints, and an export resumes, with the same value.
 */
export function eventCursor(point: Checkpoint): string {
  return `${point.transactionId.padStart(DIGITS, '0')}-${String(point.position).padStart(DIGITS, '0')}`;
}

/** The point a cursor names, or undefined for text that is not one. */
export function checkpointOfCursor(text: string): Checkpoint | undefined {
  const match = CURSOR.exec(text);
  if (!match?.[1] || !match[2]) return undefined;
  const position = Number(match[2]);
  if (!Number.isSafeInteger(position)) return undefined;
  return { transactionId: BigInt(match[1]).toString(), position };
}
