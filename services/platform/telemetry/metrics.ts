import { collectDefaultMetrics, Registry } from 'prom-client';

/** The one metrics registry of a process, with Node's process metrics on. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}
