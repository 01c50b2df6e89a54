import { BrokenCircuitError } from 'cockatiel';

/** slonik's names for a connection that failed, broke or was lost mid-transaction. */
const CONNECTION_ERRORS = new Set([
  'ConnectionError',
  'BackendTerminatedError',
  'BackendTerminatedUnexpectedlyError',
  'UnexpectedForeignConnectionError',
  'IdleTransactionTimeoutError',
]);

/**
 * The database (or a socket to any dependency) is away: it refuses, drops or
 * times out the connection, or its circuit is open. Says nothing about the
 * statement or the input, so retrying later, or answering from a cache, is right.
 */
export function isConnectionOutage(error: unknown): boolean {
  // Not `instanceof Error`: socket errors may come from another realm (a vm context, as under jest).
  if (typeof error !== 'object' || error === null) return false;
  if (error instanceof BrokenCircuitError) return true;
  const { code, name, cause } = error as { code?: unknown; name?: unknown; cause?: unknown };
  // SQLSTATE 08 (connection), 57P (shutdown, crash), 53 (out of resources), 28 (credentials
  // refused: rotated or revoked, no call gets through); socket errors; TLS verification failures.
  if (
    typeof code === 'string' &&
    (/^(08|57P|53|28)/.test(code) ||
      /^E(CONN|HOST|NET|PIPE|TIMEDOUT)/.test(code) ||
      /^(ERR_TLS_CERT|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO)/.test(code))
  ) {
    return true;
  }
  return (typeof name === 'string' && CONNECTION_ERRORS.has(name)) || isConnectionOutage(cause);
}
