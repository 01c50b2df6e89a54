import { RegistryUnavailableError } from '../messaging/index.ts';
import { KafkaJSGroupCoordinatorNotFound, KafkaJSNonRetriableError } from 'kafkajs';
import { isGroupChange, isInfrastructureError, isOutageCrash } from './infrastructure-errors.ts';

function kafkaError(type: string): Error {
  const error = new Error(`kafka says ${type}`);
  error.name = 'KafkaJSProtocolError';
  return Object.assign(error, { type });
}

test('a rebalance or a lost membership ends the batch; other Kafka errors are waited out', () => {
  for (const type of [
    'REBALANCE_IN_PROGRESS',
    'ILLEGAL_GENERATION',
    'UNKNOWN_MEMBER_ID',
    'NOT_COORDINATOR_FOR_GROUP',
  ]) {
    expect(isGroupChange(kafkaError(type))).toBe(true);
    expect(isInfrastructureError(kafkaError(type))).toBe(true);
  }
  expect(isGroupChange(new Error('wrapped', { cause: kafkaError('REBALANCE_IN_PROGRESS') }))).toBe(true);
  expect(isGroupChange(kafkaError('LEADER_NOT_AVAILABLE'))).toBe(false);
  expect(isGroupChange(new Error('a handler refused the event'))).toBe(false);
});

test('a PostgreSQL connection error is infrastructure, a handler error is not', () => {
  expect(isInfrastructureError(Object.assign(new Error('gone'), { code: '57P01' }))).toBe(true);
  expect(isInfrastructureError(Object.assign(new Error('unique'), { code: '23505' }))).toBe(false);
});

test('the registry unreachable is infrastructure, wrapped or not; a schema it lacks is a bad record', () => {
  const away = new RegistryUnavailableError('fetching schema 7 for OrderPlaced: 503');
  expect(isInfrastructureError(away)).toBe(true);
  expect(isInfrastructureError(new Error('decoding failed', { cause: away }))).toBe(true);
  expect(isInfrastructureError(new Error('no schema 7 in the registry (404)'))).toBe(false);
});

/** What kafkajs' retrier rejects with when it gives up on an error it calls non-retriable. */
function givenUp(cause: Error): Error {
  return Object.assign(new KafkaJSNonRetriableError(cause), { cause });
}

test('a consumer given up for a broker away is restarted; one given up for our own error is not', () => {
  // Its typings declare no argument, which its constructor needs for a message.
  const coordinatorLost = Reflect.construct(KafkaJSGroupCoordinatorNotFound, [
    'Failed to find group coordinator',
  ]) as Error;
  expect(isOutageCrash(givenUp(coordinatorLost))).toBe(true);
  expect(
    isOutageCrash(givenUp(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))),
  ).toBe(true);
  expect(isOutageCrash(givenUp(new TypeError('a bug in a handler')))).toBe(false);
  expect(isOutageCrash(new TypeError('a bug in a handler'))).toBe(false);
});
