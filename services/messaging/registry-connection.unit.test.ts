import { join } from 'node:path';
import { ConfigError, loadConfig } from '../platform/config/index.ts';
import { projectRoot } from '../platform/paths/index.ts';
import { registryConnection, registryEnv } from './registry-connection.ts';

const connect = (env: Record<string, string>) => registryConnection(loadConfig(registryEnv, env));
const ca = join(projectRoot(), 'test/fixtures/tls/ca.pem');

test('basic auth, a bearer token and a CA are carried as given', () => {
  expect(connect({})).toEqual({ url: 'http://127.0.0.1:8081/apis/ccompat/v7' });
  expect(
    connect({
      SCHEMA_REGISTRY_URL: 'https://registry.example.com',
      SCHEMA_REGISTRY_USERNAME: 'key',
      SCHEMA_REGISTRY_PASSWORD: 'secret',
      SCHEMA_REGISTRY_CA_FILE: ca,
    }),
  ).toEqual({
    url: 'https://registry.example.com',
    basic: { username: 'key', password: 'secret' },
    ca: expect.stringContaining('BEGIN CERTIFICATE'),
  });
  expect(connect({ SCHEMA_REGISTRY_BEARER_TOKEN: 'token' })).toMatchObject({ bearerToken: 'token' });
});

test.each([
  [{ SCHEMA_REGISTRY_USERNAME: 'key' }, 'SCHEMA_REGISTRY_PASSWORD'],
  [{ SCHEMA_REGISTRY_PASSWORD: 'secret' }, 'SCHEMA_REGISTRY_USERNAME'],
  [
    {
      SCHEMA_REGISTRY_USERNAME: 'key',
      SCHEMA_REGISTRY_PASSWORD: 'secret',
      SCHEMA_REGISTRY_BEARER_TOKEN: 'token',
    },
    'SCHEMA_REGISTRY_BEARER_TOKEN',
  ],
  [{ SCHEMA_REGISTRY_CA_FILE: ca }, 'SCHEMA_REGISTRY_CA_FILE'],
])('given %p, it stops naming %s', (env, variable) => {
  expect(() => connect(env)).toThrow(ConfigError);
  expect(() => connect(env)).toThrow(`invalid configuration: ${variable}: `);
});
