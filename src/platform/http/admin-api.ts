import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors/app-error.ts';

/**
 * Registers a role's local admin API under `/admin/api`, guarded by the admin bearer token.
 * CLI admin commands call it (see src/cli/admin-call.ts), over HTTP while the server runs.
 * Routes are JSON and exempt from the form CSRF check (the bearer token is the credential).
 */
export async function adminApi(
  app: FastifyInstance,
  adminToken: string,
  routes: (api: FastifyInstance) => Promise<void> | void,
): Promise<void> {
  await app.register(
    async (api) => {
      api.addHook('onRoute', (route) => {
        route.config = { ...(route.config ?? {}), csrf: false } as typeof route.config;
      });
      api.addHook('onRequest', async (request) => {
        const header = request.headers.authorization ?? '';
        const sent = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
        const expected = Buffer.from(adminToken);
        if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
          throw new AppError('unauthorized', 401);
        }
      });
      await routes(api);
    },
    { prefix: '/admin/api' },
  );
}
