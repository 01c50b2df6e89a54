import { BrokenCircuitError } from 'cockatiel';
import {
  BackendTerminatedError,
  BackendTerminatedUnexpectedlyError,
  ConnectionError,
  IdleTransactionTimeoutError,
  UnexpectedForeignConnectionError,
} from 'slonik';
import { DependencyUnavailableError } from '../errors/index.ts';

/**
 * What an error says is away, as opposed to what is wrong with a statement, an
 * input or an event: retrying later (or answering from a cache) is then right.
 */
export type Outage =
  /** A connection refused, dropped, timed out or no longer allowed: SQLSTATE 08, 57P, 53, 28, sockets, TLS. */
  | 'connection'
  /** A circuit breaker holds calls to the dependency back. */
  | 'circuit-open'
  /** Kafka's client failed a request (kafkajs' errors, told apart by name: their classes are not all exported). */
  | 'kafka'
  /** A building block said the dependency cannot serve now (DependencyUnavailableError: the registry, Redis). */
  | 'dependency-unavailable';

/**
 * slonik's errors for a connection that failed, broke or was lost mid-transaction (it exports no
 * common class). By class: their `name` is Error's, and a backend gone without a word (a crashed
 * server) leaves no SQLSTATE on the cause either.
 */
const LOST_CONNECTIONS = [
  ConnectionError,
  BackendTerminatedError,
  BackendTerminatedUnexpectedlyError,
  UnexpectedForeignConnectionError,
  IdleTransactionTimeoutError,
];

/** One error of a cause chain, on its own. */
function outageSaidBy(error: object): Outage | undefined {
  if (error instanceof BrokenCircuitError) return 'circuit-open';
  if (error instanceof DependencyUnavailableError) return 'dependency-unavailable';
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (
    typeof code === 'string' &&
    (/^(08|57P|53|28)/.test(code) ||
      /^E(CONN|HOST|NET|PIPE|TIMEDOUT)/.test(code) ||
      /^(ERR_TLS_CERT|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO)/.test(code))
  )
    return 'connection';
  if (LOST_CONNECTIONS.some((lost) => error instanceof lost)) return 'connection';
  if (typeof name !== 'string') return undefined;
  if (name.startsWith('KafkaJS')) return 'kafka';
  return undefined;
}

/** Each outage the error and its causes say, outermost first (clients wrap socket errors in their own). */
function outagesIn(error: unknown): Outage[] {
  const found: Outage[] = [];
  // Not `instanceof Error`: socket errors may come from another realm (a vm context, as under jest).
  for (
    let current = error, depth = 0;
    typeof current === 'object' && current !== null && depth < 10;
    depth++
  ) {
    const outage = outageSaidBy(current);
    if (outage) found.push(outage);
    current = (current as { cause?: unknown }).cause;
  }
  return found;
}

/** The outage an error says, the outermost of its cause chain; undefined when it says nothing of one. */
export function outageOf(error: unknown): Outage | undefined {
  return outagesIn(error)[0];
}

/**
 * The database (or a socket to any dependency) is away: it refuses, drops or
 * times out the connection, or its circuit is open. What PostgreSQL's breakers
 * count and the gateway answers 503 for.
 */
export function isConnectionOutage(error: unknown): boolean {
  return outagesIn(error).some((outage) => outage === 'connection' || outage === 'circuit-open');
}

/** Any dependency is away, whichever: what a consumer waits out instead of blaming the event. */
export function isOutage(error: unknown): boolean {
  return outagesIn(error).length > 0;
}
