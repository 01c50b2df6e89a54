// Health probes for the stack scripts: exits 0 when the component answers a real request.
//   node probe.mjs kafka HOST:PORT
//   node probe.mjs registry URL
import { Kafka, logLevel } from 'kafkajs';

const [kind, target] = process.argv.slice(2);
const TIMEOUT_MS = 3000;

async function kafka(brokers) {
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

const probes = { kafka, registry };
const probe = probes[kind];
if (!probe || !target) {
  console.error('usage: probe.mjs kafka|registry TARGET');
  process.exit(2);
}
probe(target).then(
  (ok) => process.exit(ok ? 0 : 1),
  () => process.exit(1),
);
