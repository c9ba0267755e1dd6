// The requests a role app is still working on, so that closing the app waits for them before the
// role's database closes. The HTTP server's own close waits for open connections only, and a handler
// goes on after its client left: a login whose browser gave up still hashes the password, then writes
// the attempt's audit record and its session.
import type { FastifyInstance, FastifyRequest, onSendHookHandler } from 'fastify';

export class RequestsInFlight {
  #count = 0;
  readonly #waiting = new Set<() => void>();

  get count(): number {
    return this.#count;
  }

  /** Counts one request in; the function returned counts it out (once, however often it is called). */
  enter(): () => void {
    this.#count++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#count--;
      if (this.#count === 0) for (const wake of this.#waiting) wake();
    };
  }

  /** True once no request is in flight; false when `ms` passed first. */
  settled(ms: number): Promise<boolean> {
    if (this.#count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#waiting.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#waiting.delete(wake);
        resolve(false);
      }, ms);
      this.#waiting.add(wake);
    });
  }
}

/**
 * Counts every request the app's Fastify routing serves, from its first `onRequest` hook until
 * Fastify is done with it, whether or not the client still waits: after the last `onSend` hook of
 * its route (route hooks run after the app's and plugins', e.g. the session save), once its
 * handler settled when the handler hijacked the reply, or when the response finished. Call it
 * before any route is added.
 */
export function countRequests(app: FastifyInstance, inFlight: RequestsInFlight): void {
  const leaving = new WeakMap<FastifyRequest, () => void>();
  const leave = (request: FastifyRequest) => leaving.get(request)?.();
  const lastOnSend: onSendHookHandler = (request, _reply, payload, done) => {
    leave(request);
    done(null, payload);
  };

  app.addHook('onRequest', (request, _reply, done) => {
    leaving.set(request, inFlight.enter());
    done();
  });
  app.addHook('onRoute', (route) => {
    route.onSend = [...[route.onSend ?? []].flat(), lastOnSend];
    const handler = route.handler;
    route.handler = function (request, reply) {
      const result = handler.call(this, request, reply);
      // Sent (or hijacked) by the time the handler settles: Fastify runs no hook for it any more.
      const settle = () => {
        if (reply.sent) leave(request);
      };
      if (result instanceof Promise) result.then(settle, settle);
      else settle();
      return result;
    };
  });
  // Not-found answers have no route, hence no route hooks.
  app.addHook('onSend', (request, _reply, payload, done) => {
    if (request.is404) leave(request);
    done(null, payload);
  });
  app.addHook('onResponse', (request, _reply, done) => {
    leave(request);
    done();
  });
}
