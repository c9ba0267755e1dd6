import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { withTimeout } from '../../errors/dependency.ts';
import type { RoleMetrics } from '../../observability/metrics.ts';
import { PROOF_OF_WORK_SCRIPT } from '../../views/proof-of-work.ts';

const STYLESHEET = readFileSync(new URL('../../views/edugate.css', import.meta.url), 'utf8');
const PROOF_OF_WORK = readFileSync(new URL('../../views/proof-of-work.js', import.meta.url), 'utf8');

/** The request duration histogram, for what Fastify answers (a delegate's app counts its own). */
export const requestMetrics = fp(
  async (app: FastifyInstance, options: { metrics: RoleMetrics; delegated: WeakSet<FastifyRequest> }) => {
    app.addHook('onResponse', async (request, reply) => {
      if (options.delegated.has(request)) return;
      options.metrics.observeHttp(
        request.method,
        request.routeOptions.url ?? 'unmatched',
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
    });
  },
);

export interface BuiltInRoutesOptions {
  role: string;
  metrics: RoleMetrics;
  /** Every dependency of the role answers (see `dependencyChecks`). */
  readiness: Array<() => Promise<void>>;
  readinessTimeoutMs: number;
}

/** What every role serves: the stylesheet, the proof-of-work script, health, readiness, metrics. */
export const builtInRoutes = fp(async (app: FastifyInstance, options: BuiltInRoutesOptions) => {
  const { role, metrics } = options;
  app.get('/assets/edugate.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET),
  );
  app.get(PROOF_OF_WORK_SCRIPT, async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(PROOF_OF_WORK),
  );
  app.get('/healthz', async () => ({ status: 'ok', role }));
  app.get('/readyz', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    try {
      const checks = Promise.all(options.readiness.map((check) => check()));
      await withTimeout(checks, options.readinessTimeoutMs, 'the readiness checks');
      return { status: 'ready', role };
    } catch (error) {
      return reply.code(503).send({ status: 'unavailable', role, reason: (error as Error).message });
    }
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
});
