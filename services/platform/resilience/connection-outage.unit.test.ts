import { BrokenCircuitError } from 'cockatiel';
import { isConnectionOutage } from './connection-outage.ts';

test('connection failures and an open circuit are outages; query errors are not', () => {
  expect(isConnectionOutage(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
  expect(isConnectionOutage(new Error('wrapped', { cause: { code: '57P01' } }))).toBe(true);
  expect(isConnectionOutage(new BrokenCircuitError())).toBe(true);
  expect(isConnectionOutage(Object.assign(new Error('password'), { code: '28P01' }))).toBe(true);
  expect(isConnectionOutage(Object.assign(new Error('tls'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }))).toBe(
    true,
  );
  expect(isConnectionOutage(Object.assign(new Error('tls'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }))).toBe(
    true,
  );
  expect(isConnectionOutage(Object.assign(new Error('syntax'), { code: '42601' }))).toBe(false);
  expect(isConnectionOutage(new Error('no order'))).toBe(false);
  expect(isConnectionOutage(undefined)).toBe(false);
});
