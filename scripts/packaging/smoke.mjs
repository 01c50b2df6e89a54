// The end-to-end check of containerized services (scripts/packaging/pods.sh, compose.sh):
//   node --no-warnings smoke.mjs reset --brokers B --prefix P
//     deletes the topics and consumer groups under prefix P (not empty), so a run starts from nothing
//   node --no-warnings smoke.mjs e2e --gateway URL --admin-token T --brokers B --prefix P --registry URL
//     creates a tenant (admin token), places an order (the tenant's API key), finds the
//     event on <P>orders.events (decoded through the registry), and reads the order back
//     with X-Min-Position from the command's position, which only the projector makes true.
//     The order carries a customer email, personal data: the gateway must have its
//     key-encryption key (PERSONAL_DATA_KEK) to accept it, Kafka must hold it sealed only
//     (elpd1.), and the query must answer it opened (docs/privacy.md).
// Prints one line per step; any failure is one line on stderr and exit 1. --no-warnings:
// kafkajs 2.2.4 sets negative timeouts, which Node 24 warns about on every run.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';

const { positionals, values: options } = parseArgs({
  allowPositionals: true,
  options: {
    gateway: { type: 'string' },
    'admin-token': { type: 'string' },
    brokers: { type: 'string' },
    prefix: { type: 'string', default: '' },
    registry: { type: 'string' },
    'timeout-ms': { type: 'string', default: '60000' },
  },
});
const deadline = Date.now() + Number(options['timeout-ms']);

function need(name) {
  const value = options[name];
  if (!value) throw new Error(`--${name} is required`);
  return value;
}

function kafka() {
  return new Kafka({
    clientId: 'eventline-smoke',
    brokers: need('brokers').split(','),
    logLevel: logLevel.NOTHING,
  });
}

async function until(what, attempt) {
  let last;
  while (Date.now() < deadline) {
    try {
      const result = await attempt();
      if (result !== undefined) return result;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what}: not within ${options['timeout-ms']} ms${last ? ` (last: ${last.message})` : ''}`);
}

async function reset() {
  const prefix = need('prefix');
  const admin = kafka().admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    const groups = (await admin.listGroups()).groups
      .map((group) => group.groupId)
      .filter((group) => group.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups);
    if (topics.length > 0) {
      await admin.deleteTopics({ topics, timeout: 30_000 });
      // Deletion completes after the call returns; creating a topic that is still
      // being deleted fails, and the next step creates them.
      await until('topics deleted', async () => {
        const left = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
        return left.length === 0 ? true : undefined;
      });
    }
    console.log(
      `reset: ${topics.length} topics and ${groups.length} consumer groups under '${prefix}' deleted`,
    );
  } finally {
    await admin.disconnect();
  }
}

async function call(method, path, { headers = {}, body } = {}) {
  const response = await fetch(`${need('gateway')}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  return { json, headers: response.headers };
}

const EMAIL = 'smoke-customer@example.com';

async function e2e() {
  const prefix = options.prefix;
  const topic = `${prefix}orders.events`;
  const tenant = await call('POST', '/api/v1/tenants', {
    headers: { authorization: `Bearer ${need('admin-token')}` },
    body: { name: `smoke-${randomUUID().slice(0, 8)}`, plan: 'pro' },
  });
  const { tenantId, apiKey } = tenant.json;
  console.log(`tenant created: ${tenantId}`);

  const command = await call('POST', '/api/v1/commands/execute', {
    headers: { 'x-api-key': apiKey },
    body: {
      type: 'PlaceOrder',
      payload: {
        customerId: 'smoke-customer',
        customerEmail: EMAIL,
        currency: 'EUR',
        items: [{ sku: 'smoke', quantity: 2, unitPrice: 3 }],
      },
    },
  });
  const { aggregateId: orderId, position, eventIds } = command.json;
  console.log(`command PlaceOrder: order ${orderId}, position ${position}, events ${eventIds.join(',')}`);

  const registry = new SchemaRegistry({ host: need('registry') });
  const consumer = kafka().consumer({ groupId: `${prefix}smoke-${randomUUID()}` });
  await consumer.connect();
  let found;
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Promise((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const header = (name) => message.headers?.[name]?.toString();
            if (message.key?.toString() !== tenantId || !eventIds.includes(header('event-id'))) return;
            const value = await registry.decode(message.value);
            const sealed = !message.value.includes(EMAIL) && String(value.customerEmail).startsWith('elpd1.');
            resolve({ partition, offset: message.offset, type: header('event-type'), value, sealed });
          },
        })
        .catch(reject);
    });
    const timeout = new Promise((_, reject) =>
      setTimeout(
        () => reject(new Error(`event ${eventIds[0]} not on ${topic} within the deadline`)),
        Math.max(0, deadline - Date.now()),
      ).unref(),
    );
    found = await Promise.race([seen, timeout]);
  } finally {
    await consumer.disconnect();
  }
  if (!found.sealed) throw new Error(`the customer's email is on ${topic} in the clear, not sealed (elpd1.)`);
  console.log(
    `on Kafka: ${topic} partition ${found.partition} offset ${found.offset}, ${found.type} (Avro, ` +
      `customer ${found.value.customerId ?? found.value.payload?.customerId ?? '?'}, email sealed), key = the tenant`,
  );

  const query = await until('the order in a query', async () => {
    const answer = await call('POST', '/api/v1/queries/execute', {
      headers: { 'x-api-key': apiKey, 'x-min-position': String(position) },
      body: { type: 'GetOrder', params: { orderId } },
    });
    return answer.json?.data ? answer : undefined;
  });
  const order = query.json.data;
  if ((order.orderId ?? order.id) !== orderId) {
    throw new Error(`GetOrder answered another order: ${JSON.stringify(order).slice(0, 200)}`);
  }
  if (order.customerEmail !== EMAIL) {
    throw new Error(
      `GetOrder answered the customer's email as ${String(order.customerEmail).slice(0, 40)}, not opened`,
    );
  }
  console.log(
    `query GetOrder with X-Min-Position ${position}: order ${orderId} ${order.status ?? ''} at position ` +
      `${query.json.position}, email opened (X-Cache ${query.headers.get('x-cache')})`,
  );
}

const commands = { reset, e2e };
const command = commands[positionals[0]];
if (!command) {
  console.error('usage: node smoke.mjs <reset|e2e> [options]');
  process.exit(2);
}
try {
  await command();
} catch (error) {
  console.error(`smoke ${positionals[0]}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
