import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InteractionResults } from 'oidc-provider';
import { AppError } from '../errors/app-error.ts';
import { isDependencyFailure } from '../errors/dependency.ts';
import { sendPage, sendProtocolUnavailable } from '../http/role-app.ts';
import { html } from '../views/html.ts';
import { page } from '../views/layout.ts';
import { epochSeconds } from './epoch.ts';
import { oidcMessages } from './messages.ts';
import { DISCOVERY_PATH, INTERACTION_PATH, LOGOUT_ALIAS, OIDC_ROUTES } from './paths.ts';
import type { OidcProvider } from './provider.ts';

/** What an interaction page needs to know (never the raw oidc-provider objects). */
export interface InteractionView {
  uid: string;
  /** `login`, `consent`, or a host prompt name. */
  prompt: string;
  reasons: string[];
  details: Record<string, unknown>;
  clientId: string;
  clientName: string;
  /** Scopes the client asked for. */
  scopes: string[];
  /** The signed-in account, once the login prompt is done. */
  accountId: string | undefined;
  /**
   * The client wants the person to authenticate again (`prompt=login`, or a `max_age` older than
   * the provider's sign-in): a live sign-in elsewhere does not do, unless it is recent enough for
   * `max_age` — see `satisfiesLogin`.
   */
  reauthenticate: boolean;
  /** `max_age` of the authorization request, in seconds, when it has one. */
  maxAge: number | undefined;
  /** When the authorization request started this interaction (seconds since the epoch). */
  startedAt: number;
  /** Where forms of this interaction post (cookie path): `${prefix}/interaction/${uid}`. */
  action: string;
  params: Record<string, unknown>;
}

export type InteractionHandler = (
  request: FastifyRequest,
  reply: FastifyReply,
  interaction: InteractionView,
) => Promise<unknown>;

export interface InteractionHandlers {
  /** Shows the host's login page; on success the host calls `finishLogin`. */
  login: InteractionHandler;
  /** Host prompts by name (those given as `OidcProviderOptions.prompts`). */
  prompts?: Record<string, InteractionHandler>;
}

/**
 * Mounts the protocol endpoints (discovery, authorize, token, userinfo, keys, logout,
 * registration, revocation) under the issuer's path. oidc-provider is a Koa app: the request is
 * handed to it untouched (body unread; CSRF does not apply, the protocol has its own
 * protections). Requests over HTTP reach it through a front door of the role app, without
 * Fastify's routing and hooks (so protocol calls never load browser sessions); the same endpoints
 * are Fastify routes too, for `app.inject()`.
 */
export async function mountProtocol(app: FastifyInstance, oidc: OidcProvider): Promise<void> {
  const issuer = new URL(oidc.issuer);
  const serve = async (raw: IncomingMessage & { originalUrl?: string }, response: ServerResponse) => {
    try {
      await oidc.sync();
    } catch (error) {
      if (!isDependencyFailure(error)) throw error;
      oidc.options.log.warn({ err: error }, 'oidc: dependency unavailable');
      return sendProtocolUnavailable(response);
    }
    let rest = (raw.url ?? '/').slice(oidc.routePrefix.length) || '/';
    if (endpointOf(rest, LOGOUT_ALIAS)) {
      rest = OIDC_ROUTES.end_session + rest.slice(LOGOUT_ALIAS.length);
    }
    raw.originalUrl = oidc.mountPath + rest;
    raw.url = rest;
    // URLs come from the configured issuer, never from the request's Host (see provider.ts).
    raw.headers.host = issuer.host;
    raw.headers['x-forwarded-host'] = issuer.host;
    raw.headers['x-forwarded-proto'] = issuer.protocol.slice(0, -1);
    if (!oidc.options.trustProxy) delete raw.headers['x-forwarded-for'];
    await oidc.callback(raw, response);
  };
  const protocol = `${oidc.routePrefix}/oidc/`;
  const discovery = `${oidc.routePrefix}${DISCOVERY_PATH}`;
  const apis = [discovery, ...API_ROUTES.map((path) => `${oidc.routePrefix}${path}`)];
  // The endpoints that never answer a page get an API's security headers, the rest a page's.
  const answers = (url: string) => (apis.some((path) => endpointOf(url, path)) ? 'api' : 'page');
  app.addFrontDoor(
    `${oidc.routePrefix}/oidc/*`,
    (request) => {
      const url = request.url ?? '';
      if (url.startsWith(protocol)) return serve;
      if (endpointOf(url, discovery) && url[discovery.length] !== '/') return serve;
      return undefined;
    },
    answers,
  );
  await app.register(
    async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
      const handler = async (request: FastifyRequest, reply: FastifyReply) => {
        reply.hijack();
        await serve(request.raw, reply.raw);
      };
      const config = { csrf: false, answers };
      scope.route({ method: ['GET', 'POST', 'OPTIONS', 'DELETE', 'PUT'], url: '/oidc/*', handler, config });
      scope.route({ method: ['GET', 'OPTIONS'], url: DISCOVERY_PATH, handler, config });
    },
    { prefix: relativePrefix(app, oidc) },
  );
}

/** Whether `url` is endpoint `path`: the path itself, with a query, or below it (no string built per call). */
function endpointOf(url: string, path: string): boolean {
  if (!url.startsWith(path)) return false;
  const next = url[path.length];
  return next === undefined || next === '?' || next === '/';
}

/** The protocol endpoints that never answer a page: JSON (or a JWT) for relying parties. */
const API_ROUTES = [
  OIDC_ROUTES.token,
  OIDC_ROUTES.userinfo,
  OIDC_ROUTES.jwks,
  OIDC_ROUTES.registration,
  OIDC_ROUTES.revocation,
  OIDC_ROUTES.introspection,
  OIDC_ROUTES.pushed_authorization_request,
];

/**
 * The `error_description`s (with `access_denied`) of an authorization the person ended
 * themselves: a cancel on the sign-in page, 拒絕 on the consent page. A relying party tells
 * these apart from a provider's refusal of the account (e.g. `account suspended`).
 */
export const ENDED_BY_USER = {
  aborted: 'End-User aborted the interaction',
  denied: 'End-User denied the authorization',
} as const;

/**
 * Mounts the interaction pages below the issuer path: the host's login page and prompts, and the
 * generic consent page (one zh-TW line per scope, 同意授權 / 拒絕). Register it where the host's
 * session plugin runs (the consent form carries the session's CSRF token when there is one).
 */
export async function mountInteractions(
  app: FastifyInstance,
  oidc: OidcProvider,
  handlers: InteractionHandlers,
): Promise<void> {
  app.i18n.add(oidcMessages);
  await app.register(
    async (scope) => {
      scope.get<{ Params: { uid: string } }>(`${INTERACTION_PATH}/:uid`, async (request, reply) => {
        const view = await interactionView(oidc, request, reply);
        if (view.prompt === 'login') return handlers.login(request, reply, view);
        if (view.prompt === 'consent') return renderConsent(oidc, request, reply, view);
        const custom = handlers.prompts?.[view.prompt];
        if (!custom) throw new Error(`no handler for the interaction prompt ${view.prompt}`);
        return custom(request, reply, view);
      });
      scope.post<{ Params: { uid: string }; Body: { decision?: string } }>(
        `${INTERACTION_PATH}/:uid/consent`,
        async (request, reply) => {
          const view = await interactionView(oidc, request, reply);
          if (view.prompt !== 'consent') throw new AppError('oidc_interaction_expired', 400);
          if (request.body?.decision !== 'allow') {
            return abortInteraction(oidc, request, reply, 'access_denied', ENDED_BY_USER.denied);
          }
          return grantConsent(oidc, request, reply, view);
        },
      );
      // Where a host page (e.g. the profile check) sends the browser back: the checks run again.
      scope.get<{ Params: { uid: string } }>(`${INTERACTION_PATH}/:uid/continue`, async (request, reply) => {
        await interactionView(oidc, request, reply);
        return finishInteraction(oidc, request, reply, {});
      });
      scope.post<{ Params: { uid: string } }>(`${INTERACTION_PATH}/:uid/abort`, async (request, reply) =>
        abortInteraction(oidc, request, reply, 'access_denied', ENDED_BY_USER.aborted),
      );
    },
    { prefix: relativePrefix(app, oidc) },
  );
}

/** The issuer's route prefix relative to the Fastify context the routes are registered on. */
function relativePrefix(app: FastifyInstance, oidc: OidcProvider): string {
  const here = app.prefix.replace(/\/$/, '');
  if (!oidc.routePrefix.startsWith(here)) {
    throw new Error(`OIDC routes for ${oidc.routePrefix} cannot be registered below ${app.prefix}`);
  }
  return oidc.routePrefix.slice(here.length);
}

/** Reads the current interaction (from its cookie); an expired or finished one is a clear page. */
export async function interactionView(
  oidc: OidcProvider,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<InteractionView> {
  let details: Awaited<ReturnType<OidcProvider['provider']['interactionDetails']>>;
  try {
    details = await oidc.provider.interactionDetails(request.raw, reply.raw);
  } catch (error) {
    if (isDependencyFailure(error)) throw error;
    throw new AppError('oidc_interaction_expired', 400);
  }
  const uid = (request.params as { uid?: string }).uid;
  if (uid !== undefined && uid !== details.uid) throw new AppError('oidc_interaction_expired', 400);
  const clientId = String(details.params.client_id ?? '');
  const clientName = await oidc.clients.nameOf(clientId);
  return {
    uid: details.uid,
    prompt: details.prompt.name,
    reasons: details.prompt.reasons,
    details: details.prompt.details as Record<string, unknown>,
    clientId,
    clientName: clientName ?? clientId,
    scopes: String(details.params.scope ?? '')
      .split(' ')
      .filter(Boolean),
    accountId: details.session?.accountId,
    reauthenticate:
      details.prompt.reasons.includes('login_prompt') || details.prompt.reasons.includes('max_age'),
    maxAge: maxAgeOf(details.params.max_age),
    startedAt: Number(details.iat ?? 0),
    action: `${oidc.mountPath}${INTERACTION_PATH}/${details.uid}`,
    params: details.params,
  };
}

function maxAgeOf(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/**
 * Whether a sign-in made at `authTime` (seconds since the epoch) answers the login prompt of this
 * interaction: always, unless the client asked for a fresh one — then only a sign-in made after
 * the authorization request started (`prompt=login`), or one within `max_age`.
 */
export function satisfiesLogin(view: InteractionView, authTime: number): boolean {
  if (!view.reauthenticate) return true;
  if (authTime >= view.startedAt) return true;
  if (view.reasons.includes('login_prompt')) return false;
  return view.maxAge !== undefined && epochSeconds() - authTime <= view.maxAge;
}

export interface LoginProof {
  /**
   * When the person authenticated (seconds since the epoch): the password check, or the sign-in
   * of the session reused. Becomes `auth_time` in the ID token.
   */
  authTime: number;
  /** How (`pwd`, `fed`, …); `pwd` when not said. */
  amr?: string[];
}

/**
 * Ends the login prompt for `accountId` and sends the browser back to oidc-provider. A sign-in
 * that does not answer a `prompt=login` or `max_age` of the client (see `satisfiesLogin`) is
 * refused: the host must ask for the credentials again.
 */
export async function finishLogin(
  oidc: OidcProvider,
  request: FastifyRequest,
  reply: FastifyReply,
  accountId: string,
  proof: LoginProof,
) {
  const view = await interactionView(oidc, request, reply);
  if (!satisfiesLogin(view, proof.authTime)) throw new AppError('oidc_login_not_fresh', 400);
  const ts = Math.min(Math.floor(proof.authTime), epochSeconds());
  return finishInteraction(oidc, request, reply, {
    login: { accountId, amr: proof.amr ?? ['pwd'], ts, remember: true },
  });
}

/** Resumes the authorization after a host prompt (its check runs again). */
export async function finishInteraction(
  oidc: OidcProvider,
  request: FastifyRequest,
  reply: FastifyReply,
  result: InteractionResults,
) {
  let returnTo: string;
  try {
    returnTo = await oidc.provider.interactionResult(request.raw, reply.raw, result);
  } catch (error) {
    if (isDependencyFailure(error)) throw error;
    throw new AppError('oidc_interaction_expired', 400);
  }
  return reply.redirect(returnTo, 303);
}

/** Ends the authorization with an OAuth error the client receives (e.g. `access_denied`). */
export async function abortInteraction(
  oidc: OidcProvider,
  request: FastifyRequest,
  reply: FastifyReply,
  error: string,
  description: string,
) {
  return finishInteraction(oidc, request, reply, { error, error_description: description });
}

async function renderConsent(
  oidc: OidcProvider,
  request: FastifyRequest,
  reply: FastifyReply,
  view: InteractionView,
) {
  const t = request.t;
  const missing = new Set((view.details.missingOIDCScope as string[] | undefined) ?? view.scopes);
  const asked = view.scopes.filter((scope) => missing.has(scope) && oidc.scopes.includes(scope));
  const already = view.scopes.filter((scope) => !missing.has(scope) && oidc.scopes.includes(scope));
  const csrf = request.session
    ? html`<input type="hidden" name="_csrf" value="${request.session.csrfToken()}">`
    : '';
  return sendPage(
    reply,
    page(request, {
      title: t('oidc.consent.title'),
      brand: request.server.brand,
      main: html`<h1>${t('oidc.consent.title')}</h1>
<form method="post" action="${view.action}/consent" class="panel">
${csrf}
<p>${t('oidc.consent.intro', { client: view.clientName })}</p>
<ul class="consent-scopes">${asked.map((scope) => html`<li data-scope="${scope}">${oidc.consentLine(scope, request.locale)}</li>`)}</ul>
${already.length > 0 ? html`<p class="meta">${t('oidc.consent.already')}</p><ul class="meta">${already.map((scope) => html`<li data-scope="${scope}">${oidc.consentLine(scope, request.locale)}</li>`)}</ul>` : ''}
<p class="hint">${t('oidc.consent.remember')}</p>
<p><button type="submit" name="decision" value="allow">${t('oidc.consent.allow')}</button>
<button type="submit" name="decision" value="deny" class="secondary">${t('oidc.consent.deny')}</button></p>
</form>`,
    }),
  );
}

async function grantConsent(
  oidc: OidcProvider,
  request: FastifyRequest,
  reply: FastifyReply,
  view: InteractionView,
) {
  const details = await oidc.provider.interactionDetails(request.raw, reply.raw);
  const accountId = details.session?.accountId;
  if (!accountId) throw new AppError('oidc_interaction_expired', 400);
  const { Grant } = oidc.provider;
  const grant =
    (details.grantId ? await Grant.find(details.grantId) : undefined) ??
    new Grant({ accountId, clientId: view.clientId });
  const missingScopes = (view.details.missingOIDCScope as string[] | undefined) ?? view.scopes;
  const missingClaims = view.details.missingOIDCClaims as string[] | undefined;
  if (missingScopes.length > 0) grant.addOIDCScope(missingScopes.join(' '));
  if (missingClaims?.length) grant.addOIDCClaims(missingClaims);
  const grantId = await grant.save();
  await oidc.consents.remember(
    accountId,
    view.clientId,
    view.scopes.filter((scope) => oidc.scopes.includes(scope)),
  );
  return finishInteraction(oidc, request, reply, { consent: { grantId } });
}
