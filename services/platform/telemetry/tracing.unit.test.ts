import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { pino, symbols } from 'pino';
import {
  createLogger,
  inSpan,
  registerTracing,
  startTracing,
  traceFields,
  traceparentOf,
  tracerFor,
} from './index.ts';

const OTEL_VARIABLES = Object.keys(process.env).filter((name) => name.startsWith('OTEL_'));

function withEnv<T>(values: Record<string, string>, run: () => Promise<T>): Promise<T> {
  for (const name of OTEL_VARIABLES) Reflect.deleteProperty(process.env, name);
  Object.assign(process.env, values);
  return run().finally(() => {
    for (const name of Object.keys(values)) Reflect.deleteProperty(process.env, name);
  });
}

function logLines(): { lines: () => Record<string, unknown>[]; sink: Writable } {
  const written: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      written.push(String(chunk));
      done();
    },
  });
  return { sink, lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

test('off by default: nothing is started, spans are no-ops and carry no traceparent', async () => {
  const tracing = await withEnv({}, () => startTracing('gateway'));
  expect(tracing.enabled).toBe(false);
  await inSpan(tracerFor('test'), 'work', {}, async (span) => {
    expect(span.isRecording()).toBe(false);
    expect(traceparentOf()).toBeUndefined();
  });
  await tracing.close();
});

test('an endpoint turns it on, unless the SDK is disabled or the exporter is none', async () => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
  expect(
    (await withEnv({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' }, () => startTracing('relay'))).enabled,
  ).toBe(false);
  expect(
    (await withEnv({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }, () => startTracing('relay'))).enabled,
  ).toBe(false);
  const tracing = await withEnv(endpoint, () => startTracing('relay'));
  try {
    expect(tracing.enabled).toBe(true);
    expect(trace.getTracer('test').startSpan('probe').isRecording()).toBe(true);
  } finally {
    await tracing.close();
  }
  expect(trace.getTracer('test').startSpan('after').isRecording()).toBe(false);
});

test('a malformed OTEL_* variable stops start-up naming it', async () => {
  await expect(
    withEnv({ OTEL_TRACES_SAMPLER: 'sometimes' }, () => startTracing('projector')),
  ).rejects.toThrow(/OTEL_TRACES_SAMPLER/);
  await expect(
    withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, () => startTracing('projector')),
  ).rejects.toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT: expected an http:\/\/ or https:\/\/ URL/);
  await expect(withEnv({ OTEL_TRACES_SAMPLER_ARG: '2' }, () => startTracing('projector'))).rejects.toThrow(
    /OTEL_TRACES_SAMPLER_ARG/,
  );
});

test('on: log lines inside a span carry its trace and span ids, a throw marks the span failed', async () => {
  const exporter = new InMemorySpanExporter();
  const tracing = await withEnv({ OTEL_SERVICE_NAME: 'renamed' }, () =>
    registerTracing('gateway', [new SimpleSpanProcessor({ exporter })]),
  );
  try {
    const { sink, lines } = logLines();
    // The one logger's mixin, on a logger whose lines the test can read.
    expect((createLogger('gateway') as unknown as Record<symbol, unknown>)[symbols.mixinSym]).toBe(
      traceFields,
    );
    const logger = pino({ mixin: traceFields }, sink);
    logger.info('outside');
    let ids = { traceId: '', spanId: '' };
    await expect(
      inSpan(tracerFor('test'), 'failing', {}, async (span) => {
        ids = span.spanContext();
        logger.info('inside');
        expect(traceparentOf()).toBe(`00-${ids.traceId}-${ids.spanId}-01`);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    const [outside, inside] = lines();
    expect(outside).not.toHaveProperty('trace_id');
    expect(inside).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
    const [span] = exporter.getFinishedSpans();
    expect(span?.status).toMatchObject({ code: 2, message: 'refused' });
    expect(span?.resource.attributes['service.name']).toBe('renamed');
  } finally {
    await tracing.close();
  }
});
