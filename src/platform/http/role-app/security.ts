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

/**
 * Security headers: helmet's middleware, built once (its configuration is parsed at start-up, not
 * per request), for every response (Fastify's and the front doors').
 */
export function securityHeaders(secureCookies: boolean): SecurityHeaders {
  return helmet({
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
}

/** The security headers on every Fastify answer. */
export const securityHeadersHook = fp(async (app: FastifyInstance, options: { headers: SecurityHeaders }) => {
  app.addHook('onRequest', (request, reply, done) => {
    options.headers(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  });
});

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
