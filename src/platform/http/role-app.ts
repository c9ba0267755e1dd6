import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { type Catalogue, I18n, type Locale, type Translate } from '../i18n/i18n.ts';
import { platformMessages } from '../i18n/platform-messages.ts';
import { createMetrics, type RoleMetrics } from '../observability/metrics.ts';
import type { Brand } from '../views/layout.ts';
import { fastifyTrustProxy, type TrustProxy } from './proxy-trust.ts';
import { RequestsInFlight } from './requests-in-flight.ts';
import { adminListener, adminRoutesHidden } from './role-app/admin-listener.ts';
import { builtInRoutes, requestMetrics } from './role-app/built-in-routes.ts';
import { delegates } from './role-app/delegates.ts';
import { DRAIN_MS, drain } from './role-app/drain.ts';
import { errorPages } from './role-app/error-pages.ts';
import { type FrontDoor, frontDoors } from './role-app/front-doors.ts';
import { language } from './role-app/language.ts';
import { Listeners } from './role-app/listeners.ts';
import { type Answers, refuseNul, securityHeaders, securityHeadersHook } from './role-app/security.ts';

export { isAdminRoute } from './role-app/admin-listener.ts';
export { sendError, sendPage, sendProtocolUnavailable } from './role-app/error-pages.ts';
export type { FrontDoor } from './role-app/front-doors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    locale: Locale;
    t: Translate;
  }
  interface FastifyInstance {
    i18n: I18n;
    metrics: RoleMetrics;
    brand: Brand;
    /**
     * Adds a front door (checked in the order added) for `route`, the metrics' route label;
     * `answers: 'api'` when it never answers a page (an API's security headers, see security.ts), or
     * a function of the URL.
     */
    addFrontDoor(route: string, door: FrontDoor, answers?: Answers): void;
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
 * The Fastify app of one role, with everything every role shares, each piece a plugin of its own
 * (role-app/): the listeners and the admin listener, delegates, draining on close, front doors,
 * security headers, forms and cookies, language, the coded error pages, health, readiness and
 * metrics. The order below is the order of their `onRequest` hooks. The role registers its own
 * routes (and the session plugin, per tenant) on the returned app.
 */
export async function createRoleApp(options: RoleAppOptions): Promise<FastifyInstance> {
  const listeners = new Listeners(options.trustProxy);
  const app = Fastify({
    serverFactory: listeners.serverFactory,
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
  app.decorate('handle', listeners.handle);

  const inFlight = new RequestsInFlight();
  const headers = securityHeaders(options.secureCookies ?? false);
  const delegated = new WeakSet<FastifyRequest>();
  let closing = false;
  await app.register(adminListener, { listeners });
  await app.register(delegates, { delegated });
  await app.register(drain, {
    inFlight,
    drainMs: options.drainMs ?? DRAIN_MS,
    onClosing: () => {
      closing = true;
    },
  });
  await app.register(securityHeadersHook, { headers });
  await app.register(frontDoors, {
    listeners,
    inFlight,
    securityHeaders: headers,
    metrics,
    closing: () => closing,
  });
  await app.register(cookie);
  await app.register(formbody);
  await app.register(language, { i18n });
  await app.register(adminRoutesHidden, { listeners });
  await app.register(refuseNul);
  await app.register(requestMetrics, { metrics, delegated });
  await app.register(errorPages);
  await app.register(builtInRoutes, {
    role: options.role,
    metrics,
    readiness: options.readiness ?? [],
    readinessTimeoutMs: options.readinessTimeoutMs ?? 5000,
  });
  return app;
}
