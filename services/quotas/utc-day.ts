export const DAY_MS = 86_400_000;

/** The last day asked for: every command asks two or three times, nearly always for today. */
let known = { start: 0, end: 0, text: '' };

/** "YYYY-MM-DD" of the UTC day holding `at` (ms since the epoch). */
export function utcDay(at: number): string {
  if (at >= known.start && at < known.end) return known.text;
  const end = endOfUtcDay(at);
  known = { start: end - DAY_MS, end, text: new Date(at).toISOString().slice(0, 10) };
  return known.text;
}

/** The UTC midnight that ends the day holding `at`. */
export function endOfUtcDay(at: number): number {
  // The epoch is a UTC midnight and JavaScript time has no leap seconds, so days are whole multiples.
  return Math.floor(at / DAY_MS) * DAY_MS + DAY_MS;
}
