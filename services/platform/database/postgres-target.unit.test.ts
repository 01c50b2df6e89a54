import { join } from 'node:path';
import { projectRoot } from '../paths/index.ts';
import { postgresTarget } from './postgres-target.ts';

const ca = join(projectRoot(), 'test/fixtures/tls/ca.pem');
const base = 'postgres://eventline_app:pa%24%24word@db.example.com:5432/eventline';

test('without sslmode it is plaintext, as before', () => {
  expect(postgresTarget(base)).toEqual({ connectionString: base, ssl: false });
});

test('verify-full verifies the chain against sslrootcert and the host name; the TLS parameters leave the URL', () => {
  const target = postgresTarget(`${base}?sslmode=verify-full&sslrootcert=${ca}&application_name=eventline`);
  expect(target.connectionString).toBe(`${base}?application_name=eventline`);
  expect(target.ssl).toEqual({ rejectUnauthorized: true, ca: expect.stringContaining('BEGIN CERTIFICATE') });
});

test('verify-ca verifies the chain only; require encrypts without verifying; sslrootcert=system uses the system CAs', () => {
  const verifyCa = postgresTarget(`${base}?sslmode=verify-ca&sslrootcert=${ca}`).ssl;
  expect(verifyCa).toMatchObject({ rejectUnauthorized: true, checkServerIdentity: expect.any(Function) });
  expect(postgresTarget(`${base}?sslmode=require`).ssl).toEqual({ rejectUnauthorized: false });
  expect(postgresTarget(`${base}?sslmode=verify-full&sslrootcert=system`).ssl).toEqual({
    rejectUnauthorized: true,
  });
});

test('a client certificate and key go together', () => {
  const client = join(projectRoot(), 'test/fixtures/tls/client');
  expect(
    postgresTarget(`${base}?sslmode=verify-full&sslrootcert=${ca}&sslcert=${client}.pem&sslkey=${client}.key`)
      .ssl,
  ).toMatchObject({
    cert: expect.stringContaining('CERTIFICATE'),
    key: expect.stringContaining('PRIVATE KEY'),
  });
  expect(() => postgresTarget(`${base}?sslmode=require&sslcert=${client}.pem`)).toThrow(
    'sslcert and sslkey go together',
  );
});

test.each([
  ['?sslmode=prefer', 'sslmode=prefer is not supported: use disable, require, verify-ca or verify-full'],
  [
    '?sslmode=verify-full',
    'sslmode=verify-full needs sslrootcert (a CA file, or "system" for the system\'s CAs)',
  ],
  ['?sslmode=verify-full&sslrootcert=/nonexistent.pem', 'cannot read sslrootcert /nonexistent.pem (ENOENT)'],
  [`?sslrootcert=${ca}`, 'sslrootcert, sslcert and sslkey need an sslmode other than disable'],
])('%s is refused in words that never include the password', (query, message) => {
  expect(() => postgresTarget(`${base}${query}`)).toThrow(message);
});
