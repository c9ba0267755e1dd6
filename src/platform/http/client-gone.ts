import type { FastifyReply } from 'fastify';

/**
 * A signal that aborts when the client closes the connection before its response is sent (a
 * browser that gave up waiting, a reload): work queued for that request can be skipped.
 * (Fastify's `request.signal` does not tell this: Node closes the request stream as soon as its
 * body has been read.)
 */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const response = reply.raw;
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}
