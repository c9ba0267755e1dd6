import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { isDependencyFailure } from '../../errors/dependency.ts';
import type { RoleMetrics } from '../../observability/metrics.ts';
import { answerWhole } from '../raw-answer.ts';
import type { RequestsInFlight } from '../requests-in-flight.ts';
import { sendProtocolUnavailable } from './error-pages.ts';
import type { Listeners } from './listeners.ts';
import { type AnswerKind, type Answers, answerKind, type SecurityHeaders } from './security.ts';

const noop = () => {};

/**
 * Serves a request straight from Node's HTTP server, ahead of Fastify's routing and hooks: given
 * a request, the handler that serves it, or undefined to leave it to Fastify. For protocol
 * endpoints that need none of what the hooks give (sessions, forms, language, error pages): the
 * OIDC endpoints hand the raw request to oidc-provider anyway. A front door gets the security
 * headers and the request metrics, and closing the app waits for what it serves; requests made with
 * `app.inject()` do not pass it, so whatever it serves must also be a Fastify route.
 */
export type FrontDoor = (
  request: IncomingMessage,
) => ((request: IncomingMessage, response: ServerResponse) => Promise<void>) | undefined;

/**
 * `app.addFrontDoor(route, door, answers)`, checked in the order added; none while the app is
 * closing. `answers: 'api'` for doors that never answer a page (their security headers: security.ts),
 * or a function of the URL for a door that serves both.
 */
export const frontDoors = fp(
  async (
    app: FastifyInstance,
    options: {
      listeners: Listeners;
      inFlight: RequestsInFlight;
      securityHeaders: Record<AnswerKind, SecurityHeaders>;
      metrics: RoleMetrics;
      closing: () => boolean;
    },
  ) => {
    const { inFlight, securityHeaders, metrics } = options;
    const doors: Array<(request: IncomingMessage, response: ServerResponse) => boolean> = [];
    options.listeners.frontDoor = (request, response) => {
      if (options.closing()) return false;
      for (const door of doors) if (door(request, response)) return true;
      return false;
    };
    app.decorate('addFrontDoor', (route: string, door: FrontDoor, answers: Answers = 'page') => {
      doors.push((request, response) => {
        const serve = door(request);
        if (!serve) return false;
        const started = performance.now();
        const leave = inFlight.enter();
        securityHeaders[answerKind(answers, request.url ?? '')](request, response, noop);
        const observe = () =>
          metrics.observeHttp(
            request.method ?? 'GET',
            route,
            response.statusCode,
            (performance.now() - started) / 1000,
          );
        // The answer's time is taken when it has been handed over (ended), whichever comes first
        // of the handler settling and the response finishing: an answer ended by then (nearly
        // every one) needs no 'finish' listener.
        const settled = () => {
          leave();
          if (response.writableEnded) observe();
          else response.once('finish', observe);
        };
        serve(request, response).then(settled, (error: unknown) => {
          try {
            const unavailable = isDependencyFailure(error);
            if (unavailable) app.log.warn({ err: error, route }, 'dependency unavailable');
            else app.log.error({ err: error, route }, 'unhandled error');
            if (response.headersSent) response.destroy();
            else if (unavailable) sendProtocolUnavailable(response);
            else
              answerWhole(
                response,
                500,
                { 'content-type': 'application/json; charset=utf-8' },
                JSON.stringify({ error: 'server_error' }),
              );
          } finally {
            settled();
          }
        });
        return true;
      });
    });
  },
);
