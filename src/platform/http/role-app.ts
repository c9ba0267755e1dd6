import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { AppError } from '../errors/app-error.ts';
import {
  DEPENDENCY_RETRY_AFTER_SECONDS,
  dependencyUnavailable,
  isDependencyFailure,
  withTimeout,
} from '../errors/dependency.ts';
import { type Catalogue, I18n, type Locale, negotiateLocale, type Translate } from '../i18n/i18n.ts';
import { platformMessages } from '../i18n/platform-messages.ts';
import { createMetrics, type RoleMetrics } from '../observability/metrics.ts';
import { html } from '../views/html.ts';
import { type Brand, page } from '../views/layout.ts';
import { PROOF_OF_WORK_SCRIPT } from '../views/proof-of-work.ts';
import { fastifyTrustProxy, forwardedHeaderFilter, type TrustProxy } from './proxy-trust.ts';
import { countRequests, RequestsInFlight } from './requests-in-flight.ts';

const STYLESHEET = readFileSync(new URL('../views/edugate.css', import.meta.url), 'utf8');
const PROOF_OF_WORK = readFileSync(new URL('../views/proof-of-work.js', import.meta.url), 'utf8');
const LANG_COOKIE = 'edugate_lang';

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

declare module 'fastify' {
  interface FastifyRequest {
    locale: Locale;
    t: Translate;
  }
  interface FastifyInstance {
    i18n: I18n;
    metrics: RoleMetrics;
    brand: Brand;
    /** Adds a front door (checked in the order added) for `route`, the metrics' route label. */
    addFrontDoor(route: string, door: FrontDoor): void;
    /**
     * Hands the requests `select` picks to another role app, made ready and created with this app's
     * `metrics`: its own front doors, hooks and routes answer them. For routes that appear while the
     * server runs (a county tenant added at runtime). This app's first `onRequest` hook asks, before
     * any other hook reads the request, so requests over HTTP and through `app.inject()` are handed
     * over alike.
     */
    addDelegate(select: (request: IncomingMessage) => FastifyInstance | undefined): void;
    /** Serves a raw request as this app's own HTTP server does: front doors, then Fastify. */
    handle(request: IncomingMessage, response: ServerResponse): void;
    /**
     * Starts the admin listener: a second HTTP server, for operators only, that serves the
     * metrics, the admin API and the health checks of this app (and nothing else). The public
     * server (`listen`) answers 404 for the metrics and the admin API; `inject()` reaches both.
     * Closed with the app.
     */
    listenAdmin(options: { port: number; host: string }): Promise<AddressInfo>;
  }
}

/** Routes served only by the admin listener (see `listenAdmin`): the metrics and the admin API. */
export function isAdminRoute(url: string | undefined): boolean {
  return url === '/metrics' || url === '/admin/api' || url?.startsWith('/admin/api/') === true;
}

/** What the admin listener serves besides the admin routes. */
const HEALTH_ROUTES = new Set(['/healthz', '/readyz']);

/** Fastify's own keep-alive default (the HTTP server is built here, see `serverFactory`). */
const KEEP_ALIVE_MS = 72_000;
/** How long closing waits for the requests in flight (see `drainMs`). */
const DRAIN_MS = 10_000;

export interface RoleAppOptions {
  role: string;
  logger: Logger;
  catalogues?: Catalogue[];
  brand?: Brand;
  /** Who may set X-Forwarded-* (`EDUGATE_TRUST_PROXY`, see proxy-trust.ts). */
  trustProxy?: TrustProxy;
  secureCookies?: boolean;
  /**
   * Readiness checks (every dependency of the role answers, see `dependencyChecks`); /readyz is
   * 503 while any fails or they have not all answered within `readinessTimeoutMs`.
   */
  readiness?: Array<() => Promise<void>>;
  /** The longest /readyz waits for its checks (default 5 s; `dependencyChecks` bound themselves sooner). */
  readinessTimeoutMs?: number;
  /** Node process metrics (event-loop lag, heap, GC, CPU; default true). */
  processMetrics?: boolean;
  bodyLimit?: number;
  /** The metrics of the app that hands this one its requests (see `addDelegate`). */
  metrics?: RoleMetrics;
  /**
   * Closing waits this long at most for the requests in flight (their handlers go on after their
   * clients left) before the server closes and the role goes on to close its database.
   */
  drainMs?: number;
}

/**
 * The Fastify app of one role, with everything every role shares: security headers, forms and
 * cookies, language negotiation, the coded error pages, health, readiness and metrics endpoints.
 * The role registers its own routes (and the session plugin, per tenant) on the returned app.
 * Closing it first waits (up to `drainMs`) for the requests it is still working on.
 */
export async function createRoleApp(options: RoleAppOptions): Promise<FastifyInstance> {
  const doors: Array<(request: IncomingMessage, response: ServerResponse) => boolean> = [];
  const delegates: Array<(request: IncomingMessage) => FastifyInstance | undefined> = [];
  const delegated = new WeakSet<FastifyRequest>();
  const inFlight = new RequestsInFlight();
  let closing = false;
  let route: (request: IncomingMessage, response: ServerResponse) => void = () => {};
  // Which listener a request came in by (requests made with `inject()` came in by neither).
  const publicRequests = new WeakSet<IncomingMessage>();
  const adminRequests = new WeakSet<IncomingMessage>();
  const adminServers: Server[] = [];
  // While closing, Fastify answers every request (503), front doors included.
  const filterForwarded = forwardedHeaderFilter(options.trustProxy);
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    filterForwarded?.(request);
    if (!closing) for (const door of doors) if (door(request, response)) return;
    route(request, response);
  };
  const app = Fastify({
    serverFactory: (fastify) => {
      route = fastify;
      const server = createServer((request, response) => {
        publicRequests.add(request);
        handle(request, response);
      });
      server.keepAliveTimeout = KEEP_ALIVE_MS;
      return server;
    },
    loggerInstance: options.logger.child({ role: options.role }) as FastifyBaseLogger,
    trustProxy: fastifyTrustProxy(options.trustProxy),
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true },
  });
  const i18n = new I18n(platformMessages, ...(options.catalogues ?? []));
  const metrics = options.metrics ?? createMetrics(options.role, options.processMetrics ?? true);
  app.decorate('i18n', i18n);
  app.decorate('metrics', metrics);
  app.decorate('brand', options.brand ?? { name: 'EduGate', href: '/' });

  // Requests for a delegate's app go there untouched (body unread, no hook of this app run). The
  // admin listener serves its own routes only, before any delegate sees the request.
  app.addHook('onRequest', (request, reply, done) => {
    if (adminRequests.has(request.raw)) {
      const url = request.routeOptions.url;
      if (!isAdminRoute(url) && !HEALTH_ROUTES.has(url ?? '')) {
        reply.code(404).header('cache-control', 'no-store').send({ error: 'not_found' });
        return;
      }
      done();
      return;
    }
    for (const select of delegates) {
      const target = select(request.raw);
      if (!target) continue;
      delegated.add(request);
      reply.hijack();
      target.handle(request.raw, reply.raw);
      break;
    }
    done();
  });
  countRequests(app, inFlight);
  app.addHook('preClose', async () => {
    closing = true;
    if (!(await inFlight.settled(options.drainMs ?? DRAIN_MS))) {
      app.log.warn({ requests: inFlight.count }, 'closing with requests still in flight');
    }
  });

  // Security headers: helmet's middleware, built once (its configuration is parsed at start-up,
  // not per request), applied to every response.
  const securityHeaders = helmet({
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
    strictTransportSecurity: options.secureCookies ?? false,
  });
  app.addHook('onRequest', (request, reply, done) => {
    securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  });
  app.decorate('addFrontDoor', (route: string, door: FrontDoor) => {
    doors.push((request, response) => {
      const serve = door(request);
      if (!serve) return false;
      const started = performance.now();
      const leave = inFlight.enter();
      securityHeaders(request, response, () => {});
      response.once('finish', () => {
        metrics.httpDuration
          .labels(request.method ?? 'GET', route, String(response.statusCode))
          .observe((performance.now() - started) / 1000);
      });
      serve(request, response)
        .catch((error: unknown) => {
          const unavailable = isDependencyFailure(error);
          if (unavailable) app.log.warn({ err: error, route }, 'dependency unavailable');
          else app.log.error({ err: error, route }, 'unhandled error');
          if (response.headersSent) return void response.destroy();
          if (unavailable) return sendProtocolUnavailable(response);
          response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
          response.end(JSON.stringify({ error: 'server_error' }));
        })
        .finally(leave);
      return true;
    });
  });
  app.decorate('addDelegate', (select: (request: IncomingMessage) => FastifyInstance | undefined) => {
    delegates.push(select);
  });
  app.decorate('handle', handle);
  app.decorate('listenAdmin', async (listen: { port: number; host: string }) => {
    await app.ready();
    const server = createServer((request, response) => {
      adminRequests.add(request);
      filterForwarded?.(request);
      route(request, response);
    });
    server.keepAliveTimeout = KEEP_ALIVE_MS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    adminServers.push(server);
    app.log.info({ address: server.address() }, 'admin listener');
    return server.address() as AddressInfo;
  });
  app.addHook('onClose', async () => {
    await Promise.all(
      adminServers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            // The requests in flight are done (see preClose): kept-alive connections go now.
            server.closeAllConnections();
          }),
      ),
    );
  });
  await app.register(cookie);
  await app.register(formbody);

  app.decorateRequest('locale', 'zh-TW');
  app.decorateRequest('t', null as unknown as Translate);
  app.addHook('onRequest', async (request, reply) => {
    const query = request.query as Record<string, unknown> | undefined;
    const asked = typeof query?.lang === 'string' ? query.lang : undefined;
    if (asked === 'en' || asked === 'zh-TW') {
      reply.setCookie(LANG_COOKIE, asked, { path: '/', sameSite: 'lax', maxAge: 365 * 86400 });
    }
    request.locale = negotiateLocale(
      asked ?? request.cookies[LANG_COOKIE],
      request.headers['accept-language'],
    );
    request.t = i18n.translator(request.locale);
    // The public server knows no metrics and no admin API: they are the admin listener's.
    if (publicRequests.has(request.raw) && isAdminRoute(request.routeOptions.url)) {
      reply.callNotFound();
      return reply;
    }
  });
  // A NUL byte in a path, query or form parameter is refused here, once for every route: no
  // handler, database (PostgreSQL refuses NUL in text) or template ever sees one.
  app.addHook('onRequest', async (request) => {
    if (request.url.includes('\0') || /%00/i.test(request.url)) throw new AppError('nul_byte', 400);
  });
  app.addHook('preValidation', async (request) => {
    if (hasNul(request.body)) throw new AppError('nul_byte', 400);
  });

  app.addHook('onResponse', async (request, reply) => {
    // The delegate's app counts what it served.
    if (delegated.has(request)) return;
    metrics.httpDuration
      .labels(request.method, request.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });

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

  app.get('/assets/edugate.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET),
  );
  app.get(PROOF_OF_WORK_SCRIPT, async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(PROOF_OF_WORK),
  );
  app.get('/healthz', async () => ({ status: 'ok', role: options.role }));
  app.get('/readyz', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    try {
      const checks = Promise.all((options.readiness ?? []).map((check) => check()));
      await withTimeout(checks, options.readinessTimeoutMs ?? 5000, 'the readiness checks');
      return { status: 'ready', role: options.role };
    } catch (error) {
      return reply
        .code(503)
        .send({ status: 'unavailable', role: options.role, reason: (error as Error).message });
    }
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  return app;
}

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
  response.writeHead(503, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'retry-after': String(DEPENDENCY_RETRY_AFTER_SECONDS),
  });
  response.end(
    JSON.stringify({
      error: 'temporarily_unavailable',
      error_description: 'The service is temporarily unavailable; retry later.',
    }),
  );
}

/** Renders an AppError as a friendly localized page, or as JSON for API clients. */
export function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError) {
  reply.code(error.status).headers(error.headers);
  if (error.status >= 300 && error.status < 400) return reply.send();
  const message = request.t ? request.t(`error.${error.code}`, error.params) : error.code;
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
