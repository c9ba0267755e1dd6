import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.ts';
import { BUCKETS, RequestDurations } from './request-durations.ts';

describe('role metrics', () => {
  it('include the process: event-loop lag, heap, garbage collection and CPU, labelled per role', async () => {
    const county = createMetrics('county');
    const cloud = createMetrics('cloud');
    // Make garbage so that the collector has at least one pause to report.
    let keep = 0;
    for (let i = 0; i < 200; i++) keep += new Array(50_000).fill(i).length;
    expect(keep).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const text = await county.registry.metrics();
    for (const series of [
      /^nodejs_eventloop_lag_seconds\{role="county"\} [\d.e-]+$/m,
      /^nodejs_eventloop_lag_p99_seconds\{role="county"\} [\d.e-]+$/m,
      /^nodejs_heap_size_used_bytes\{role="county"\} \d+$/m,
      /^nodejs_gc_duration_seconds_count\{role="county",kind="\w+"\} [1-9]\d*$/m,
      /^process_cpu_user_seconds_total\{role="county"\} [\d.]+$/m,
    ]) {
      expect(text).toMatch(series);
    }
    expect(await cloud.registry.metrics()).toMatch(/^nodejs_heap_size_used_bytes\{role="cloud"\} \d+$/m);
    expect(text).toContain('# TYPE edugate_http_request_duration_seconds histogram');
  });

  it('can leave them out', async () => {
    expect(await createMetrics('bench', false).registry.metrics()).not.toContain('nodejs_');
  });

  it('count each answer once per method, route and status, however often they repeat', async () => {
    const metrics = createMetrics('county', false);
    for (const seconds of [0.002, 0.003, 0.2]) metrics.observeHttp('GET', '/cyc/oidc/*', 200, seconds);
    metrics.observeHttp('GET', '/cyc/oidc/*', 401, 0.001);
    metrics.observeHttp('POST', '/cyc/oidc/*', 200, 0.004);
    metrics.registry.resetMetrics();
    metrics.observeHttp('GET', '/cyc/oidc/*', 200, 0.002);
    metrics.observeHttp('GET', '/cyc/oidc/*', 200, 0.3);
    const text = await metrics.registry.metrics();
    const count = (method: string, status: number) =>
      new RegExp(
        `^edugate_http_request_duration_seconds_count\\{role="county",method="${method}",route="/cyc/oidc/\\*",status="${status}"\\} (\\d+)$`,
        'm',
      ).exec(text)?.[1];
    expect(count('GET', 200)).toBe('2');
    expect(text).toMatch(
      /^edugate_http_request_duration_seconds_bucket\{le="0.005",role="county",method="GET",route="\/cyc\/oidc\/\*",status="200"\} 1$/m,
    );
    expect(count('GET', 401)).toBeUndefined();
  });

  it('answer requests durations exactly as prom-client’s own histogram does, in text and JSON', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    for (const registry of [ours, theirs]) registry.setDefaultLabels({ role: 'county' });
    const name = 'edugate_http_request_duration_seconds';
    const help = 'HTTP request duration by route and status';
    const durations = new RequestDurations({ name, help, registers: [ours] });
    const reference = new Histogram({
      name,
      help,
      labelNames: ['method', 'route', 'status'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    const answers: Array<[string, string, number, number]> = [
      ['GET', '/cyc/oidc/*', 200, 0.0004],
      ['GET', '/cyc/oidc/*', 200, 0.005],
      ['GET', '/cyc/oidc/*', 200, 0.0051],
      ['POST', '/cyc/oidc/*', 400, 0.3],
      ['GET', '/cyc/cncresource/*', 200, 7],
      ['GET', 'unmatched', 404, 0.001],
    ];
    for (const [method, route, status, seconds] of answers) {
      durations.observeRequest(method, route, status, seconds);
      reference.labels(method, route, String(status)).observe(seconds);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    ours.resetMetrics();
    theirs.resetMetrics();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
