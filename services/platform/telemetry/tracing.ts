import { context, propagation, trace } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-node';
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
 * SDK reads them (and the other OTEL_* ones: headers, timeouts, batching,
 * OTEL_RESOURCE_ATTRIBUTES) itself.
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

  const sdk = await import('@opentelemetry/sdk-trace-node');
  const spanExporter =
    exporter === 'console'
      ? new sdk.ConsoleSpanExporter()
      : new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  return registerTracing(service, [new sdk.BatchSpanProcessor(spanExporter)]);
}

/**
 * Registers a tracer provider for the whole process: W3C trace context
 * propagation, AsyncLocalStorage for the active span, the sampler of
 * OTEL_TRACES_SAMPLER (parent-based always-on by default). Tests call it with an
 * in-memory exporter's processor.
 */
export async function registerTracing(service: string, processors: SpanProcessor[]): Promise<Tracing> {
  const [{ NodeTracerProvider }, { defaultResource, detectResources, envDetector, resourceFromAttributes }] =
    await Promise.all([import('@opentelemetry/sdk-trace-node'), import('@opentelemetry/resources')]);
  const resource = defaultResource()
    .merge(
      resourceFromAttributes({ 'service.name': `eventline-${service}`, 'service.namespace': 'eventline' }),
    )
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over our defaults.
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: processors });
  provider.register();
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
