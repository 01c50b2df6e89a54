import { isOutage } from '../platform/resilience/index.ts';

// The registry client (mappersmith) reports a connection it could not make or
// lost, and its own deadline, as a status 400 carrying the socket's message.
const UNANSWERED =
  /Timeout \(\d+ms\)|\bE(CONN\w+|HOSTUNREACH|NETUNREACH|PIPE|TIMEDOUT|AI_AGAIN)\b|socket hang up/;

/**
 * The registry did not answer, or answered with a server error: an idempotent
 * call is worth repeating. Its 4xx answers (an incompatible or invalid schema,
 * refused credentials) are verdicts, not outages.
 */
export function isRegistryOutage(error: unknown): boolean {
  const status =
    typeof error === 'object' && error !== null ? (error as { status?: unknown }).status : undefined;
  if (typeof status === 'number') {
    if (status >= 500) return true;
    return status === 400 && error instanceof Error && UNANSWERED.test(error.message);
  }
  return isOutage(error);
}
