import { isRegistryOutage } from './registry-outage.ts';

// The registry client's errors: a ResponseError with the HTTP status, or 400 with the socket's message.
const clientError = (status: number, message: string) =>
  Object.assign(new Error(`Confluent_Schema_Registry - Error, status ${status}: ${message}`), {
    name: 'ResponseError',
    status,
  });

test.each([
  [clientError(400, 'Timeout (5000ms)'), true],
  [clientError(400, 'connect ECONNREFUSED 127.0.0.1:8081'), true],
  [clientError(400, 'socket hang up'), true],
  [clientError(502, '<html>Bad Gateway</html>'), true],
  [clientError(503, 'starting'), true],
  [clientError(400, 'Invalid schema'), false],
  [clientError(401, 'unauthorized'), false],
  [clientError(409, 'incompatible'), false],
  [clientError(422, 'invalid'), false],
  [Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET' }), true],
  [new Error('Compatibility does not match the configuration (BACKWARD != NONE)'), false],
])('%s is an outage: %s', (error, outage) => {
  expect(isRegistryOutage(error)).toBe(outage);
});
