// Health probes for the stack scripts: exits 0 when the component answers a real request.
//   node probe.mjs kafka HOST:PORT
//   node probe.mjs registry URL
//   node probe.mjs tls HOST:PORT CA_FILE [CERT_FILE KEY_FILE]   a verified TLS handshake
//   node probe.mjs https-registry URL CA_FILE                   the registry behind TLS; the
//                                                               Authorization header from PROBE_AUTHORIZATION
//   node probe.mjs jwks URL                                     a JWK set with at least one key
// Only the kafka probe needs an npm package (kafkajs), so it is imported there alone:
// the others run before, and without, the project's dependencies.
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';

const [kind, target, ...rest] = process.argv.slice(2);
const TIMEOUT_MS = 3000;

async function kafka(brokers) {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({
    clientId: 'eventline-probe',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: TIMEOUT_MS,
    requestTimeout: TIMEOUT_MS,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } finally {
    await admin.disconnect();
  }
}

async function registry(url) {
  const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  return response.ok && Array.isArray(await response.json());
}

function tls(address, caFile, certFile, keyFile) {
  const separator = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: address.slice(0, separator),
      port: Number(address.slice(separator + 1)),
      ca: readFileSync(caFile),
      ...(certFile ? { cert: readFileSync(certFile), key: readFileSync(keyFile) } : {}),
      timeout: TIMEOUT_MS,
    });
    socket.once('secureConnect', () => {
      socket.end();
      resolve(socket.authorized);
    });
    socket.once('timeout', () => socket.destroy(new Error('TLS handshake timed out')));
    socket.once('error', reject);
  });
}

function httpsRegistry(url, caFile) {
  return new Promise((resolve, reject) => {
    const headers = process.env.PROBE_AUTHORIZATION ? { authorization: process.env.PROBE_AUTHORIZATION } : {};
    const request = httpsRequest(`${url}/subjects`, {
      ca: readFileSync(caFile),
      headers,
      timeout: TIMEOUT_MS,
    });
    request.once('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve(response.statusCode === 200 && Array.isArray(JSON.parse(body))));
    });
    request.once('timeout', () => request.destroy(new Error('request timed out')));
    request.once('error', reject);
    request.end();
  });
}

async function jwks(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  const body = response.ok ? await response.json() : {};
  return Array.isArray(body.keys) && body.keys.length > 0;
}

const probes = { kafka, registry, tls, 'https-registry': httpsRegistry, jwks };
const probe = probes[kind];
if (!probe || !target) {
  console.error('usage: probe.mjs kafka|registry|tls|https-registry|jwks TARGET [ARGS]');
  process.exit(2);
}
probe(target, ...rest).then(
  (ok) => process.exit(ok ? 0 : 1),
  (error) => {
    if (process.env.PROBE_VERBOSE) console.error(error);
    process.exit(1);
  },
);
