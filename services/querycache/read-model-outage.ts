import { BrokenCircuitError } from 'cockatiel';

const CONNECTION_ERRORS = new Set([
  'ConnectionError',
  'BackendTerminatedError',
  'BackendTerminatedUnexpectedlyError',
]);

/**
 * The read models cannot be reached: PostgreSQL refuses, drops or times out the
 * connection, or its circuit is open. Not an error of the query itself, so the
 * last cached answer may stand in for it.
 */
export function isReadModelOutage(error: unknown): boolean {
  // Not `instanceof Error`: socket errors may come from another realm (a vm context, as under jest).
  if (typeof error !== 'object' || error === null) return false;
  if (error instanceof BrokenCircuitError) return true;
  const { code, name, cause } = error as { code?: unknown; name?: unknown; cause?: unknown };
  // SQLSTATE 08 (connection), 57P (shutdown, crash), 53 (out of resources); socket errors.
  if (
    typeof code === 'string' &&
    (/^(08|57P|53)/.test(code) || /^E(CONN|HOST|NET|PIPE|TIMEDOUT)/.test(code))
  ) {
    return true;
  }
  return (typeof name === 'string' && CONNECTION_ERRORS.has(name)) || isReadModelOutage(cause);
}
