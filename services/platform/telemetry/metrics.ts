import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The one metrics registry of a process, with Node's process metrics on. Every
 * series carries `component` (gateway, relay, projector), never `service`:
 * Prometheus sets `service` (and namespace, pod, job, instance...) on each target
 * it discovers through a Kubernetes Service, and a scraped label of that name
 * would be renamed `exported_service` (docs/operability.md, "Metrics and their labels").
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ component: service });
  collectDefaultMetrics({ register: registry });
  return registry;
}
