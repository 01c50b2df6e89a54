import { BrokenCircuitError } from 'cockatiel';
import { BackendTerminatedError, BackendTerminatedUnexpectedlyError } from 'slonik';
import { DependencyUnavailableError } from '../errors/index.ts';
import { isConnectionOutage, isOutage, outageOf } from './outage.ts';

const coded = (message: string, code: string) => Object.assign(new Error(message), { code });
const named = (message: string, name: string) => Object.assign(new Error(message), { name });

test('given connection failures and an open circuit, then each is a connection outage; query errors are not', () => {
  expect(isConnectionOutage(coded('refused', 'ECONNREFUSED'))).toBe(true);
  expect(isConnectionOutage(new Error('wrapped', { cause: { code: '57P01' } }))).toBe(true);
  expect(isConnectionOutage(new BrokenCircuitError())).toBe(true);
  expect(isConnectionOutage(coded('password', '28P01'))).toBe(true);
  expect(isConnectionOutage(coded('tls', 'ERR_TLS_CERT_ALTNAME_INVALID'))).toBe(true);
  expect(isConnectionOutage(coded('tls', 'SELF_SIGNED_CERT_IN_CHAIN'))).toBe(true);
  expect(isConnectionOutage(new BackendTerminatedError(coded('terminating connection', '57P01')))).toBe(true);
  // A crashed server closes the socket without an error message: pg's error carries no code.
  expect(
    isConnectionOutage(
      new BackendTerminatedUnexpectedlyError(new Error('Connection terminated unexpectedly')),
    ),
  ).toBe(true);
  expect(isConnectionOutage(coded('syntax', '42601'))).toBe(false);
  expect(isConnectionOutage(new Error('no order'))).toBe(false);
  expect(isConnectionOutage(undefined)).toBe(false);
});

test('given each kind of outage, then outageOf names it, the outermost of a cause chain first', () => {
  expect(outageOf(coded('reset', 'ECONNRESET'))).toBe('connection');
  expect(outageOf(new BrokenCircuitError())).toBe('circuit-open');
  expect(outageOf(named('kafka says LEADER_NOT_AVAILABLE', 'KafkaJSProtocolError'))).toBe('kafka');
  expect(outageOf(new DependencyUnavailableError('schema-registry', 'GET /schemas/ids/7: 503'))).toBe(
    'dependency-unavailable',
  );
  const wrapped = named('the broker is away', 'KafkaJSConnectionError');
  wrapped.cause = coded('connect ECONNREFUSED', 'ECONNREFUSED');
  expect(outageOf(wrapped)).toBe('kafka');
  expect(isConnectionOutage(wrapped)).toBe(true);
  expect(outageOf(new Error('a handler refused the event'))).toBeUndefined();
});

test('given an error a dependency caused, then it is an outage; a bad statement or event is not', () => {
  expect(isOutage(named('request timed out', 'KafkaJSRequestTimeoutError'))).toBe(true);
  expect(
    isOutage(new Error('batch failed', { cause: new DependencyUnavailableError('redis', 'slow') })),
  ).toBe(true);
  expect(isOutage(coded('unique', '23505'))).toBe(false);
  expect(isOutage(new TypeError('cannot read properties of undefined'))).toBe(false);
});

test('given a cause chain that loops, then the walk ends', () => {
  const looped: Error & { cause?: unknown } = new Error('loop');
  looped.cause = looped;
  expect(isOutage(looped)).toBe(false);
});
