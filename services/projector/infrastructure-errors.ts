import { RegistryUnavailableError } from '../messaging/index.ts';

const CONNECTION_ERRORS = new Set([
  'ConnectionError',
  'BackendTerminatedError',
  'BackendTerminatedUnexpectedlyError',
  'UnexpectedForeignConnectionError',
  'IdleTransactionTimeoutError',
]);

/**
 * An error that says a dependency is away (PostgreSQL, Kafka, the registry),
 * not that the event is bad: the projector waits and retries the batch, and
 * never parks the event on its dead-letter topic for it.
 */
export function isInfrastructureError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof RegistryUnavailableError) return true;
  if (CONNECTION_ERRORS.has(error.name) || error.name.startsWith('KafkaJS')) return true;
  const code = (error as { code?: unknown }).code;
  // SQLSTATE 08 (connection), 57P (shutdown, crash), 53 (out of resources); socket errors.
  if (
    typeof code === 'string' &&
    (/^(08|57P|53)/.test(code) || /^E(CONN|HOST|NET|PIPE|TIMEDOUT)/.test(code))
  ) {
    return true;
  }
  return isInfrastructureError(error.cause);
}
