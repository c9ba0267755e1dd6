import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { countRequests, type RequestsInFlight } from '../requests-in-flight.ts';

/** How long closing waits for the requests in flight by default. */
export const DRAIN_MS = 10_000;

/**
 * Counts the requests the app works on and makes closing wait for them (up to `drainMs`) before
 * the server closes and the role goes on to close its database. `closing()` turns true then: the
 * front doors step aside and Fastify answers every request (503).
 */
export const drain = fp(
  async (
    app: FastifyInstance,
    options: { inFlight: RequestsInFlight; drainMs: number; onClosing: () => void },
  ) => {
    countRequests(app, options.inFlight);
    app.addHook('preClose', async () => {
      options.onClosing();
      if (!(await options.inFlight.settled(options.drainMs))) {
        app.log.warn({ requests: options.inFlight.count }, 'closing with requests still in flight');
      }
    });
  },
);
