import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/**
 * `app.addDelegate(select)`: requests `select` picks go to another role app untouched (body
 * unread, no later hook of this app run); that app counts what it served. Register right after
 * the admin listener, before any hook that reads the request.
 */
export const delegates = fp(
  async (app: FastifyInstance, { delegated }: { delegated: WeakSet<FastifyRequest> }) => {
    const selectors: Array<(request: IncomingMessage) => FastifyInstance | undefined> = [];
    app.decorate('addDelegate', (select: (request: IncomingMessage) => FastifyInstance | undefined) => {
      selectors.push(select);
    });
    app.addHook('onRequest', (request, reply, done) => {
      for (const select of selectors) {
        const target = select(request.raw);
        if (!target) continue;
        delegated.add(request);
        reply.hijack();
        target.handle(request.raw, reply.raw);
        break;
      }
      done();
    });
  },
);
