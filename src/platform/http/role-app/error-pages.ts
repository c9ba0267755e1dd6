import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors/app-error.ts';
import {
  dependencyUnavailable,
  isDependencyFailure,
  PROTOCOL_UNAVAILABLE_ANSWER,
} from '../../errors/dependency.ts';
import { html } from '../../views/html.ts';
import { page } from '../../views/layout.ts';
import { answerWhole } from '../raw-answer.ts';

/**
 * The coded error pages: an error thrown anywhere becomes a friendly localized page, or JSON for
 * API clients; a dependency that does not answer becomes 503 with Retry-After.
 */
export const errorPages = fp(async (app: FastifyInstance) => {
  app.setErrorHandler(async (error, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500 && appError.code === 'internal') {
      request.log.error({ err: error, url: request.routeOptions.url }, 'unhandled error');
    } else if (appError !== error && appError.code === 'overloaded') {
      // The database and Redis clients log an outage once; the 503s show in the metrics.
      request.log.debug({ err: error, url: request.routeOptions.url }, 'dependency unavailable');
    }
    return sendError(request, reply, appError);
  });
  app.setNotFoundHandler(async (request, reply) => sendError(request, reply, new AppError('not_found', 404)));
});

function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isDependencyFailure(error)) return dependencyUnavailable();
  const e = error as { statusCode?: number; code?: string; validation?: unknown };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new AppError('payload_too_large', 413);
  if (e.validation || (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)) {
    return new AppError('bad_request', 400);
  }
  return new AppError('internal', 500);
}

function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  if (accept.includes('text/html')) return false;
  return (
    accept.includes('application/json') || /^\/(api|oidc|moeresource|cncresource|admin)\b/.test(request.url)
  );
}

/**
 * The OAuth / OpenID Connect answer of a protocol endpoint that could not reach a dependency
 * (RFC 6749 `temporarily_unavailable`), for requests served outside Fastify (front doors).
 */
export function sendProtocolUnavailable(response: ServerResponse): void {
  const { status, headers, body } = PROTOCOL_UNAVAILABLE_ANSWER;
  answerWhole(response, status, headers, body);
}

/** Renders an AppError as a friendly localized page, or as JSON for API clients. */
export function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError) {
  reply.code(error.status).headers(error.headers);
  if (error.status >= 300 && error.status < 400) return reply.send();
  const message = request.t(`error.${error.code}`, error.params);
  if (wantsJson(request)) return reply.send({ error: error.code, message });
  const brand = request.server.brand;
  return reply.type('text/html; charset=utf-8').send(
    page(request, {
      title: request.t('error.title'),
      brand,
      main: html`<h1>${request.t('error.title')}</h1>
<div class="alert" role="alert"><p>${message}</p></div>
<p class="meta">${request.t('error.code')} <code translate="no">${error.code}</code></p>
<p><a href="${brand.href}">${request.t('layout.home')}</a></p>`,
    }).value,
  );
}

/** Sends a server-rendered page. */
export function sendPage(reply: FastifyReply, markup: { value: string }, status = 200) {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(markup.value);
}
