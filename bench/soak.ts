import { loadavg } from 'node:os';
import { SoakServer } from '../src/cloud/testing/soak-process.ts';
import { postgresAvailable } from '../src/platform/testing/services.ts';
import { type LoadResult, startLoad } from './load-worker.ts';
import type { Figure } from './report.ts';

const WINDOW_SECONDS = 10;

/**
 * Memory and latency of a cloud node under a fixed anonymous sign-in load for `SOAK_SECONDS`
 * (60): SAML AuthnRequests from Google and OIDC authorization requests, taking turns, at
 * `SOAK_RATE` (100) requests/s from a load process of its own, against the cloud role in a process
 * of its own on PostgreSQL. The node's RSS is read every second (as it is: no forced collection);
 * the figures compare the last ten seconds with the first ten, each a baseline of the other run:
 * a node that keeps nothing per request stays flat (ratio ≈ 1).
 */
export async function benchSoak(): Promise<Figure[]> {
  if (!(await postgresAvailable())) {
    console.warn('[skipped] soak bench needs PostgreSQL (EDUGATE_TEST_DATABASE_URL)');
    return [];
  }
  const seconds = Number(process.env.SOAK_SECONDS ?? 60);
  const rate = Number(process.env.SOAK_RATE ?? 100);
  const windows = Math.max(2, Math.round(seconds / WINDOW_SECONDS));
  const server = new SoakServer('postgres', { unthrottled: true });
  const load = await startLoad({ base: '', sessions: [], accounts: 0, password: '' });
  try {
    const { url, clientId, redirectUri } = await server.started();
    const discovery = (await (await fetch(`${url}/.well-known/openid-configuration`)).json()) as {
      authorization_endpoint: string;
    };
    const job = (windowSeconds: number) =>
      load.run({
        kind: 'sign-ins',
        url,
        seconds: windowSeconds,
        connections: 8,
        overallRate: rate,
        domain: 'go.edu.tw',
        authorizePath: new URL(discovery.authorization_endpoint).pathname,
        clientId,
        redirectUri,
      });
    // Warm-up, one window long: the JIT, prepared statements, the pools, the heap's working size.
    await job(WINDOW_SECONDS);
    const load1 = loadavg()[0] ?? 0;
    const measured: Array<{ result: LoadResult; rss: number[]; retained: number }> = [];
    for (let w = 0; w < windows; w++) {
      const rss: number[] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          rss.push(await server.rss());
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      })();
      const result = await job(WINDOW_SECONDS);
      sampling = false;
      await sampler;
      // What the node keeps: its RSS after full collections, between two windows (no load then).
      measured.push({ result, rss, retained: (await server.memory()).rss });
    }
    const mb = (bytes: number) => bytes / 1024 / 1024;
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    type Window = (typeof measured)[number];
    const first = measured[0] as Window;
    const last = measured[measured.length - 1] as Window;
    const answered = measured.reduce((n, m) => n + m.result.redirects, 0);
    const achieved = answered / (windows * WINDOW_SECONDS);
    const refused = measured.reduce((n, m) => n + m.result.refused, 0);
    console.log(
      `soak: ${windows} × ${WINDOW_SECONDS} s at ${rate} requests/s asked (${achieved.toFixed(0)}/s answered), ${answered} redirected (303), ${refused} refused (4xx/5xx); ` +
        `load average ${load1.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)} on ${navigator.hardwareConcurrency} cores`,
    );
    console.log(
      `soak: RSS MB per window under load ${measured.map((m) => mb(mean(m.rss)).toFixed(1)).join(', ')}; ` +
        `after collection ${measured.map((m) => mb(m.retained).toFixed(1)).join(', ')}; ` +
        `p99 ms per window ${measured.map((m) => m.result.p99.toFixed(0)).join(', ')}`,
    );
    if (refused > 0) throw new Error(`${refused} requests were refused under the soak load`);
    return [
      {
        name: `cloud node RSS after collection, after the last ${WINDOW_SECONDS} s of ${windows * WINDOW_SECONDS} s under ${rate} anonymous SAML/OIDC sign-in requests/s`,
        value: mb(last.retained),
        unit: 'MB',
        baseline: mb(first.retained),
        baselineName: `after the first ${WINDOW_SECONDS} s`,
        lowerIsBetter: true,
        // Flat: at most 10 % above the first window.
        target: 0.9,
      },
      {
        name: `cloud node RSS under load, last ${WINDOW_SECONDS} s`,
        value: mb(mean(last.rss)),
        unit: 'MB',
        baseline: mb(mean(first.rss)),
        baselineName: `first ${WINDOW_SECONDS} s`,
        lowerIsBetter: true,
      },
      {
        name: `cloud node p99 latency, last ${WINDOW_SECONDS} s`,
        value: last.result.p99,
        unit: 'ms',
        baseline: first.result.p99,
        baselineName: `first ${WINDOW_SECONDS} s`,
        lowerIsBetter: true,
      },
    ];
  } finally {
    await load.stop();
    await server.close();
  }
}
