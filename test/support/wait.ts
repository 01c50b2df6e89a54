/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 20_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Waits until the clock has left `instant`'s millisecond. Instants are compared in milliseconds,
 * and a transaction begun in the same millisecond as `instant` would count as at it: after this,
 * whatever is recorded is recorded after it.
 */
export async function clockPast(instant: Date): Promise<void> {
  const past = () => (Date.now() > instant.getTime() ? true : undefined);
  await waitFor(`the clock past ${instant.toISOString()}`, past, { intervalMs: 1 });
}
