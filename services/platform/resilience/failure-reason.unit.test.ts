import { failureReason } from './failure-reason.ts';

const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

test.each([
  [
    coded('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'),
    /^certificate not trusted: /,
  ],
  [
    coded("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'),
    /^certificate does not name this host: /,
  ],
  [coded('certificate has expired', 'CERT_HAS_EXPIRED'), /^certificate expired/],
  [
    coded('password authentication failed for user "eventline_app"', '28P01'),
    /^authentication failed: password authentication failed for user/,
  ],
  [
    Object.assign(new Error('SASL SCRAM SHA512 authentication failed'), {
      name: 'KafkaJSSASLAuthenticationError',
    }),
    /^authentication failed: SASL/,
  ],
  [
    new Error('WRONGPASS invalid username-password pair or user is disabled.'),
    /^authentication failed: WRONGPASS/,
  ],
  [
    new Error('Connection error', { cause: coded('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED') }),
    /^connection refused: Connection error$/,
  ],
  [
    new Error('kafka: wrapped', {
      cause: coded('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
    }),
    /^certificate not trusted: kafka: wrapped$/,
  ],
])('given %p, the reason says what to act on', (error, expected) => {
  expect(failureReason(error)).toMatch(expected);
});

test('an error of another kind keeps its own words', () => {
  expect(failureReason(new Error('GET /config answered 500'))).toBe('GET /config answered 500');
  expect(failureReason('timed out')).toBe('timed out');
});
