import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface RoleMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

/** One Prometheus registry per role, labelled with the role name. */
export function createMetrics(role: string, withDefaults: boolean): RoleMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  if (withDefaults) collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'edugate_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return { registry, httpDuration };
}
