import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../platform/config/index.ts';
import { projectRoot } from '../platform/paths/index.ts';
import { kafkaConnection, kafkaEnv } from './kafka-connection.ts';

const fixture = (name: string) => join(projectRoot(), 'test/fixtures/tls', name);
const connect = (env: Record<string, string>) => kafkaConnection(loadConfig(kafkaEnv, env), 1_000);

/** The variable a ConfigError names, and its line, or the connection when none is thrown. */
function refusal(env: Record<string, string>): { variable: string; message: string } {
  try {
    connect(env);
  } catch (error) {
    if (error instanceof ConfigError) return { variable: error.variable, message: error.message };
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const scram = {
  KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
  KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
  KAFKA_SASL_USERNAME: 'eventline',
  KAFKA_SASL_PASSWORD: 's3cret-password',
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kafka-connection-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('given no security settings', () => {
  test('it is plaintext to the brokers', () => {
    expect(connect({ KAFKA_BROKERS: 'a:9092,b:9092' })).toEqual({ brokers: ['a:9092', 'b:9092'] });
  });
});

describe('given SASL_SSL', () => {
  test('with SCRAM it authenticates with the mechanism and verifies the brokers with the CA', () => {
    const connection = connect({ ...scram, KAFKA_SSL_CA_FILE: fixture('ca.pem') });
    expect(connection.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'eventline',
      password: 's3cret-password',
    });
    expect(connection.ssl).toMatchObject({
      rejectUnauthorized: true,
      ca: expect.stringContaining('BEGIN CERTIFICATE'),
    });
    expect(connection.ssl?.checkServerIdentity).toBeUndefined();
    expect(connection.warnings).toBeUndefined();
  });

  test('each mechanism maps to kafkajs', () => {
    for (const [mechanism, expected] of [
      ['PLAIN', 'plain'],
      ['SCRAM-SHA-256', 'scram-sha-256'],
    ] as const) {
      expect(connect({ ...scram, KAFKA_SASL_MECHANISM: mechanism }).sasl?.mechanism).toBe(expected);
    }
    const oauth = connect({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'OAUTHBEARER',
      KAFKA_OAUTH_TOKEN_URL: 'https://idp.example.com/oauth2/token',
      KAFKA_OAUTH_CLIENT_ID: 'eventline',
      KAFKA_OAUTH_CLIENT_SECRET: 'client-secret',
    });
    expect(oauth.sasl).toMatchObject({ mechanism: 'oauthbearer', oauthBearerProvider: expect.any(Function) });
  });

  test('the password may come from a file, as a mounted Secret', () => {
    const file = join(dir, 'password');
    writeFileSync(file, 'from-a-file\n');
    const { KAFKA_SASL_PASSWORD: _inline, ...withoutPassword } = scram;
    expect(connect({ ...withoutPassword, KAFKA_SASL_PASSWORD_FILE: file }).sasl).toMatchObject({
      password: 'from-a-file',
    });
    expect(refusal({ ...scram, KAFKA_SASL_PASSWORD_FILE: file })).toMatchObject({
      variable: 'KAFKA_SASL_PASSWORD',
    });
    expect(refusal({ ...withoutPassword, KAFKA_SASL_PASSWORD_FILE: join(dir, 'missing') })).toEqual({
      variable: 'KAFKA_SASL_PASSWORD_FILE',
      message: `invalid configuration: KAFKA_SASL_PASSWORD_FILE: cannot read ${join(dir, 'missing')} (ENOENT)`,
    });
  });

  test('mutual TLS takes a certificate and its key; hostname checks are on unless turned off, with a warning', () => {
    const mtls = {
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_CA_FILE: fixture('ca.pem'),
      KAFKA_SSL_CERT_FILE: fixture('client.pem'),
      KAFKA_SSL_KEY_FILE: fixture('client.key'),
    };
    expect(connect(mtls).ssl).toMatchObject({ cert: expect.any(String), key: expect.any(String) });
    const unchecked = connect({ ...mtls, KAFKA_SSL_VERIFY_HOSTNAME: 'false' });
    expect(unchecked.ssl?.checkServerIdentity?.('broker', {} as never)).toBeUndefined();
    expect(unchecked.ssl?.rejectUnauthorized).toBe(true);
    expect(unchecked.warnings).toEqual([expect.stringMatching(/^KAFKA_SSL_VERIFY_HOSTNAME=false: /)]);
  });
});

test('SASL over plaintext is allowed, with a warning', () => {
  const connection = connect({ ...scram, KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT' });
  expect(connection.ssl).toBeUndefined();
  expect(connection.warnings).toEqual([
    'KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT: credentials and events cross the network unencrypted',
  ]);
});

test.each([
  [{ ...scram, KAFKA_SASL_MECHANISM: 'GSSAPI' }, 'KAFKA_SASL_MECHANISM', /expected PLAIN, SCRAM-SHA-256/],
  [{ KAFKA_SECURITY_PROTOCOL: 'TLS' }, 'KAFKA_SECURITY_PROTOCOL', /expected PLAINTEXT, SSL/],
  [
    { ...scram, KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' },
    'KAFKA_SSL_CA_FILE',
    /cannot read \/nonexistent\/ca.pem \(ENOENT\)/,
  ],
  [{ ...scram, KAFKA_SSL_CA_FILE: fixture('README.md') }, 'KAFKA_SSL_CA_FILE', /holds no PEM certificate/],
  [{ ...scram, KAFKA_SSL_VERIFY_HOSTNAME: 'no' }, 'KAFKA_SSL_VERIFY_HOSTNAME', /expected true or false/],
  [
    { ...scram, KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT' },
    'KAFKA_SASL_MECHANISM',
    /needs KAFKA_SECURITY_PROTOCOL=SASL_SSL/,
  ],
  [
    { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' },
    'KAFKA_SASL_MECHANISM',
    /is required with KAFKA_SECURITY_PROTOCOL=SASL_SSL/,
  ],
  [
    { ...scram, KAFKA_SASL_PASSWORD: '' },
    'KAFKA_SASL_PASSWORD',
    /is required with KAFKA_SASL_MECHANISM=SCRAM-SHA-512/,
  ],
  [
    { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'OAUTHBEARER' },
    'KAFKA_OAUTH_TOKEN_URL',
    /is required with KAFKA_SASL_MECHANISM=OAUTHBEARER/,
  ],
  [
    { KAFKA_SSL_CA_FILE: fixture('ca.pem') },
    'KAFKA_SSL_CA_FILE',
    /needs KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL/,
  ],
  [
    { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CERT_FILE: fixture('client.pem') },
    'KAFKA_SSL_KEY_FILE',
    /is required with KAFKA_SSL_CERT_FILE/,
  ],
  [
    {
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_CERT_FILE: fixture('client.pem'),
      KAFKA_SSL_KEY_FILE: fixture('other.key'),
    },
    'KAFKA_SSL_KEY_FILE',
    /unusable with KAFKA_SSL_CERT_FILE: .*mismatch/,
  ],
])('given %p, it stops naming %s', (env, variable, message) => {
  const { variable: named, message: line } = refusal(env);
  expect(named).toBe(variable);
  expect(line).toMatch(message);
  expect(line).not.toContain('s3cret-password');
  expect(line).not.toContain('\n');
});
