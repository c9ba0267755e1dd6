import { collectDefaultMetrics, Histogram, type Metric, Registry } from 'prom-client';

export interface RoleMetrics {
  registry: Registry;
  /** Records how long an HTTP answer took (seconds), by method, route and status. */
  observeHttp(method: string, route: string, status: number, seconds: number): void;
}

/** Most label sets whose histogram child is kept (methods × routes × statuses: far fewer in use). */
const KEPT_CHILDREN = 2000;

let processCollectors: Registry | undefined;

/**
 * prom-client's Node process metrics (CPU, resident memory, heap spaces, event-loop lag,
 * garbage-collection pauses, handles, file descriptors), collected once per process however many
 * roles it runs (the demo runs four): each role's registry shows them with its own `role` label.
 */
function processMetrics(): Metric[] {
  if (!processCollectors) {
    processCollectors = new Registry();
    collectDefaultMetrics({ register: processCollectors, eventLoopMonitoringPrecision: 10 });
  }
  const collectors = processCollectors;
  return collectors
    .getMetricsAsArray()
    .map((m) => collectors.getSingleMetric(m.name))
    .filter((m): m is Metric => m !== undefined);
}

/** One Prometheus registry per role, labelled with the role name, with the process metrics. */
export function createMetrics(role: string, withProcessMetrics = true): RoleMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  if (withProcessMetrics) for (const metric of processMetrics()) registry.registerMetric(metric);
  const httpDuration = new Histogram({
    name: 'edugate_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // prom-client's `labels()` checks the values and builds a child on every call: each label set's
  // child is built once and kept.
  const children = new Map<string, (seconds: number) => void>();
  const observeHttp = (method: string, route: string, status: number, seconds: number) => {
    const key = `${method} ${status} ${route}`;
    let observe = children.get(key);
    if (!observe) {
      if (children.size >= KEPT_CHILDREN) children.clear();
      observe = httpDuration.labels(method, route, String(status)).observe;
      children.set(key, observe);
    }
    observe(seconds);
  };
  return { registry, observeHttp };
}
