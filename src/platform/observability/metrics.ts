import { collectDefaultMetrics, type Metric, Registry } from 'prom-client';
import { RequestDurations } from './request-durations.ts';

export interface RoleMetrics {
  registry: Registry;
  /** Records how long an HTTP answer took (seconds), by method, route and status. */
  observeHttp(method: string, route: string, status: number, seconds: number): void;
}

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
  const durations = new RequestDurations({
    name: 'edugate_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    registers: [registry],
  });
  const observeHttp = (method: string, route: string, status: number, seconds: number) =>
    durations.observeRequest(method, route, status, seconds);
  return { registry, observeHttp };
}
