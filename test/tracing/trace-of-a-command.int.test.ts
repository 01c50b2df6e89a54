import { randomBytes, randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { registerTracing, type Tracing } from '../../services/platform/telemetry/index.ts';
import type { RunningProjector } from '../../services/projector/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { startTestProjector, startTestRelay } from '../projector/pipeline.ts';
import { applyTestTopology, asOwner, deleteSubjects, recordTopics } from '../relay/harness.ts';
import { endpoints } from '../support/endpoints.ts';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { call } from '../support/http.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';

// The gateway, relay and projector run in this process, so one in-memory exporter sees all their spans.
const exporter = new InMemorySpanExporter();
const prefix = `${uniqueName('tracing')}.`;
let tracing: Tracing;
let gw: TestGateway;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;

beforeAll(async () => {
  tracing = await registerTracing('test', [new SimpleSpanProcessor({ exporter })]);
  gw = await startTestGateway();
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(gw.db, prefix);
  projector = await startTestProjector(gw.db, prefix);
});

afterAll(async () => {
  await projector?.close();
  await relay?.close();
  await gw?.stop();
  await deleteSubjects(prefix);
  await tracing?.close();
});

const scope = (span: ReadableSpan) => span.instrumentationScope.name;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

function only(spans: readonly ReadableSpan[], what: string, match: (span: ReadableSpan) => boolean) {
  const found = spans.filter(match);
  if (found.length !== 1) {
    const seen = spans.map((span) => `${scope(span)}: ${span.name}`).join(', ');
    throw new Error(`expected one ${what} span, found ${found.length} among: ${seen}`);
  }
  return found[0] as ReadableSpan;
}

test('one trace follows a command from the HTTP request to the read model', async () => {
  const tenant = await call(gw.url, 'POST', '/api/v1/tenants', {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { name: `t-${randomUUID()}`, plan: 'enterprise' },
  });
  expect(tenant.status).toBe(201);
  const key = { 'x-api-key': String(tenant.body.apiKey) };
  const topic = `${prefix}orders.events`;
  const records = await recordTopics(endpoints().kafkaBrokers, [topic]);

  // The caller's own trace: the gateway continues it rather than starting one.
  const traceId = randomBytes(16).toString('hex');
  const callerSpanId = randomBytes(8).toString('hex');
  const placed = await call(gw.url, 'POST', '/api/v1/commands/execute', {
    headers: { ...key, traceparent: `00-${traceId}-${callerSpanId}-01` },
    body: {
      type: 'PlaceOrder',
      payload: { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'a', quantity: 2, unitPrice: 3 }] },
    },
  });
  expect(placed.status).toBe(201);
  const orderId = String(placed.body.aggregateId);

  const seen = await call(gw.url, 'POST', '/api/v1/queries/execute', {
    headers: { ...key, 'X-Min-Position': String(placed.body.position), 'X-Wait-Timeout-Ms': '30000' },
    body: { type: 'GetOrder', params: { orderId } },
  });
  expect(seen.status).toBe(200);
  expect(seen.body).toMatchObject({ data: { orderId, status: 'placed' } });

  const trace = await waitFor(
    'the projector spans of the command trace',
    () => {
      const spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
      const applied = spans.filter((span) => span.kind === SpanKind.CONSUMER).map((span) => span.attributes);
      return applied.some((attributes) => attributes['eventline.projection'] === 'orders')
        ? spans
        : undefined;
    },
    { timeoutMs: 30_000 },
  );

  const request = only(trace, 'gateway', (span) => scope(span) === 'eventline.gateway');
  expect(request).toMatchObject({ name: 'POST /api/v1/commands/execute', kind: SpanKind.SERVER });
  expect(request.attributes).toMatchObject({
    'http.route': '/api/v1/commands/execute',
    'http.response.status_code': 201,
  });
  expect(parentOf(request)).toBe(callerSpanId);

  const command = only(trace, 'command', (span) => scope(span) === 'eventline.commands');
  expect(command.name).toBe('command PlaceOrder');
  expect(parentOf(command)).toBe(request.spanContext().spanId);

  const append = only(trace, 'append', (span) => scope(span) === 'eventline.eventstore');
  expect(append.name).toBe('append orders');
  expect(parentOf(append)).toBe(command.spanContext().spanId);
  const [stored] = await asOwner<{ traceparent: string }>(
    gw.db.adminUrl,
    `SELECT metadata->>'traceparent' AS traceparent FROM events WHERE stream_id = $1`,
    [orderId],
  );
  expect(stored?.traceparent).toBe(`00-${traceId}-${append.spanContext().spanId}-01`);

  const publish = only(trace, 'relay', (span) => scope(span) === 'eventline.relay');
  expect(publish).toMatchObject({ name: `send ${topic}`, kind: SpanKind.PRODUCER });
  expect(parentOf(publish)).toBe(append.spanContext().spanId);
  const record = await waitFor('the Kafka record of the order', () =>
    records.received.find((received) => received.headers['aggregate-id'] === orderId),
  );
  await records.stop();
  expect(record.headers.traceparent).toBe(`00-${traceId}-${publish.spanContext().spanId}-01`);

  // Each projection reading orders.events applies the event under its own span, all children of the publish.
  const applies = trace.filter((span) => scope(span) === 'eventline.projector');
  expect(applies.length).toBeGreaterThanOrEqual(1);
  for (const apply of applies) {
    expect(apply).toMatchObject({ name: `process ${topic}`, kind: SpanKind.CONSUMER });
    expect(parentOf(apply)).toBe(publish.spanContext().spanId);
  }
  expect(new Set(trace.map((span) => span.spanContext().traceId))).toEqual(new Set([traceId]));
}, 120_000);

test('without a caller trace the gateway starts one, and the relay and projector join it', async () => {
  const tenant = await call(gw.url, 'POST', '/api/v1/tenants', {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { name: `t-${randomUUID()}`, plan: 'enterprise' },
  });
  expect(tenant.status).toBe(201);
  const tenantId = String(tenant.body.tenantId);
  const request = await waitFor('the tenant creation request span', () =>
    exporter
      .getFinishedSpans()
      .find(
        (span) =>
          span.name === 'POST /api/v1/tenants' &&
          span.attributes['http.response.status_code'] === 201 &&
          span.parentSpanContext === undefined &&
          exporter
            .getFinishedSpans()
            .some(
              (child) =>
                child.spanContext().traceId === span.spanContext().traceId &&
                child.attributes['eventline.tenant_id'] === tenantId,
            ),
      ),
  );
  const traceId = request.spanContext().traceId;
  await waitFor(
    'the relay and projector spans of the tenant creation',
    () => {
      const scopes = new Set(
        exporter
          .getFinishedSpans()
          .filter((span) => span.spanContext().traceId === traceId)
          .map(scope),
      );
      return scopes.has('eventline.relay') && scopes.has('eventline.projector') ? scopes : undefined;
    },
    { timeoutMs: 30_000 },
  );
}, 60_000);
