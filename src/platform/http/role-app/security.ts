import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';
import { AppError } from '../../errors/app-error.ts';

export type SecurityHeaders = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/** Which security headers an answer gets: a page's (helmet's), or an API's (never a page). */
export type AnswerKind = 'page' | 'api';

/** A route's or front door's kind of answer, fixed or by the request's URL (path and query). */
export type Answers = AnswerKind | ((url: string) => AnswerKind);

/** The kind of answer `answers` gives the request for `url`. */
export function answerKind(answers: Answers | undefined, url: string): AnswerKind {
  return typeof answers === 'function' ? answers(url) : (answers ?? 'page');
}

/**
 * Security headers, built once (their configuration is parsed at start-up, not per request), for
 * every response (Fastify's and the front doors'): `page` is helmet's middleware, for anything a
 * browser may render; `api` is the short set for answers that are never a page (JSON, a JWT):
 * nothing may load, frame or sniff them (OWASP's REST security headers), without the headers
 * that only mean something to a page. A response's headers are a good part of a small API
 * answer's cost, for the server and its client.
 */
export function securityHeaders(secureCookies: boolean): Record<AnswerKind, SecurityHeaders> {
  const page = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'"],
        scriptSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        frameAncestors: ["'none'"],
        // form-action is left open on purpose: OIDC and SAML forms post to other sites.
      },
    },
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: secureCookies,
  });
  const api: Array<[string, string]> = [
    ['content-security-policy', "default-src 'none'; frame-ancestors 'none'"],
    ['cross-origin-resource-policy', 'same-origin'],
    ['referrer-policy', 'no-referrer'],
    ['x-content-type-options', 'nosniff'],
    ['x-frame-options', 'DENY'],
  ];
  // helmet's value, as on pages.
  if (secureCookies) api.push(['strict-transport-security', 'max-age=31536000; includeSubDomains']);
  return {
    page,
    api: (_request, response, next) => {
      for (const [name, value] of api) response.setHeader(name, value);
      next();
    },
  };
}

/** The security headers on every Fastify answer: an API's where the route's `answers` says `api`. */
export const securityHeadersHook = fp(
  async (app: FastifyInstance, options: { headers: Record<AnswerKind, SecurityHeaders> }) => {
    app.addHook('onRequest', (request, reply, done) => {
      const kind = answerKind(request.routeOptions.config.answers, request.url);
      options.headers[kind](request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
    });
  },
);

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * `api`: the route never answers a page, and gets an API's security headers (see security.ts);
     * or a function of the URL, for a route that serves both.
     */
    answers?: Answers;
  }
}

/**
 * A NUL byte in a path, query or form parameter is refused here, once for every route: no
 * handler, database (PostgreSQL refuses NUL in text) or template ever sees one.
 */
export const refuseNul = fp(async (app: FastifyInstance) => {
  app.addHook('onRequest', async (request) => {
    if (request.url.includes('\0') || /%00/i.test(request.url)) throw new AppError('nul_byte', 400);
  });
  app.addHook('preValidation', async (request) => {
    if (hasNul(request.body)) throw new AppError('nul_byte', 400);
  });
});

/** Whether a parsed body holds a NUL byte in any string, key or nested value. */
function hasNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (value === null || typeof value !== 'object' || depth > 32) return false;
  if (Buffer.isBuffer(value)) return false;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\0') || hasNul(item, depth + 1)) return true;
  }
  return false;
}
