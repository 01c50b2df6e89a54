export const DAY_MS = 86_400_000;

/** "YYYY-MM-DD" of the UTC day holding `at` (ms since the epoch). */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** The UTC midnight that ends the day holding `at`. */
export function endOfUtcDay(at: number): number {
  // The epoch is a UTC midnight and JavaScript time has no leap seconds, so days are whole multiples.
  return Math.floor(at / DAY_MS) * DAY_MS + DAY_MS;
}
