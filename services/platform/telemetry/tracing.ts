import { context, propagation, trace } from '@opentelemetry/api';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace';
import { z } from 'zod';
import { loadConfig } from '../config/index.ts';

const otlpUrl = z
  .string()
  .refine(
    (value) => {
      try {
        return ['http:', 'https:'].includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: 'expected an http:// or https:// URL' },
  )
  .optional();

/**
 * The standard OpenTelemetry variables tracing reads, validated like every other
 * setting so a typo stops the process instead of silently tracing nothing. The
 * exporter reads its own (endpoint, headers, timeout) and the resource detector
 * OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; the sampler is built here,
 * since the 3.x trace SDK no longer reads the environment.
 */
export const tracingEnv = {
  /** As the specification says: true, in any case, disables; any other value does not. */
  OTEL_SDK_DISABLED: z
    .string()
    .optional()
    .transform((value) => value?.toLowerCase() === 'true'),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none']).default('otlp'),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl,
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_TRACES_SAMPLER: z
    .enum([
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
    ])
    .optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
};

/** Tracing as a process runs it; a shutdown step (flushes spans still batched). */
export interface Tracing {
  readonly name: 'tracing';
  readonly enabled: boolean;
  close(): Promise<void>;
}

const OFF: Tracing = { name: 'tracing', enabled: false, close: async () => {} };

/**
 * Turns on tracing when an exporter has somewhere to go: an OTLP endpoint (or the
 * console exporter) is named, and OTEL_SDK_DISABLED is not true. Off, nothing of
 * the SDK is even loaded, and spans are the API's no-op ones. Called first by each
 * service's entry point, before anything opens a connection.
 */
export async function startTracing(service: string): Promise<Tracing> {
  // The SDK reads process.env itself, so this validates exactly what it will see.
  const settings = loadConfig(tracingEnv);
  const endpoint = settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? settings.OTEL_EXPORTER_OTLP_ENDPOINT;
  const exporter = settings.OTEL_TRACES_EXPORTER;
  const wanted = exporter === 'console' || (exporter === 'otlp' && endpoint !== undefined);
  if (settings.OTEL_SDK_DISABLED || !wanted) return OFF;

  const sdk = await import('@opentelemetry/sdk-trace');
  const spanExporter =
    exporter === 'console'
      ? new sdk.ConsoleSpanExporter()
      : new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  return registerTracing(service, [new sdk.BatchSpanProcessor({ exporter: spanExporter })]);
}

/** OTEL_TRACES_SAMPLER and its argument, as the specification defines them (parent-based always-on unset). */
async function samplerOf(settings: {
  OTEL_TRACES_SAMPLER?: string;
  OTEL_TRACES_SAMPLER_ARG?: number;
}): Promise<Sampler> {
  const sdk = await import('@opentelemetry/sdk-trace');
  const ratio = () => new sdk.TraceIdRatioBasedSampler(settings.OTEL_TRACES_SAMPLER_ARG ?? 1);
  switch (settings.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on') {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: ratio() });
    default:
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
  }
}

/**
 * Registers a tracer provider for the whole process: W3C trace context
 * propagation, AsyncLocalStorage for the active span, the sampler of
 * OTEL_TRACES_SAMPLER (parent-based always-on by default). Tests call it with an
 * in-memory exporter's processor.
 */
export async function registerTracing(service: string, processors: SpanProcessor[]): Promise<Tracing> {
  const [
    { TracerProvider },
    { defaultResource, detectResources, envDetector, resourceFromAttributes },
    { AsyncLocalStorageContextManager },
    { W3CTraceContextPropagator },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
  ]);
  const resource = defaultResource()
    .merge(
      resourceFromAttributes({ 'service.name': `eventline-${service}`, 'service.namespace': 'eventline' }),
    )
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over our defaults.
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new TracerProvider({
    resource,
    spanProcessors: processors,
    sampler: await samplerOf(loadConfig(tracingEnv)),
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    name: 'tracing',
    enabled: true,
    close: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
