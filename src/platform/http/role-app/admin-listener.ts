import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Listeners } from './listeners.ts';

/** Routes served only by the admin listener (see `listenAdmin`): the metrics and the admin API. */
export function isAdminRoute(url: string | undefined): boolean {
  return url === '/metrics' || url === '/admin/api' || url?.startsWith('/admin/api/') === true;
}

/** What the admin listener serves besides the admin routes. */
const HEALTH_ROUTES = new Set(['/healthz', '/readyz']);

/**
 * The admin listener (`app.listenAdmin`): it serves the metrics, the admin API and the health
 * checks, and answers 404 for anything else. Its `onRequest` hook is the app's first, before
 * delegates see a request.
 */
export const adminListener = fp(async (app: FastifyInstance, { listeners }: { listeners: Listeners }) => {
  app.addHook('onRequest', (request, reply, done) => {
    const url = request.routeOptions.url;
    if (listeners.adminRequests.has(request.raw) && !isAdminRoute(url) && !HEALTH_ROUTES.has(url ?? '')) {
      reply.code(404).header('cache-control', 'no-store').send({ error: 'not_found' });
      return;
    }
    done();
  });
  app.decorate('listenAdmin', async (listen: { port: number; host: string }) => {
    await app.ready();
    const address = await listeners.listenAdmin(listen);
    app.log.info({ address }, 'admin listener');
    return address;
  });
  app.addHook('onClose', () => listeners.closeAdmin());
});

/**
 * The public server knows no metrics and no admin API: they are the admin listener's. Registered
 * after the language hook, so that the 404 page is in the reader's language.
 */
export const adminRoutesHidden = fp(async (app: FastifyInstance, { listeners }: { listeners: Listeners }) => {
  app.addHook('onRequest', async (request, reply) => {
    if (listeners.publicRequests.has(request.raw) && isAdminRoute(request.routeOptions.url)) {
      reply.callNotFound();
      return reply;
    }
  });
});
