import type { IncomingHttpHeaders } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, RouteHandlerMethod } from 'fastify';
import type { AdapterPayload } from 'oidc-provider';
import { isDependencyFailure, PROTOCOL_UNAVAILABLE_ANSWER } from '../errors/dependency.ts';
import { answerWhole } from '../http/raw-answer.ts';
import { epochSeconds } from './epoch.ts';
import type { OidcProvider } from './provider.ts';
import { withRequestScope } from './request-scope.ts';

/** What a resource API learns from a valid access token. */
export interface TokenInfo<A = unknown> {
  accountId: string;
  /** The account's record, as the host port read it for this request (the token check needed it). */
  account: A;
  clientId: string;
  scopes: Set<string>;
  grantId: string | undefined;
}

/** An RFC 6750 error: `invalid_token` (401) or `insufficient_scope` (403), never a hint why. */
export class BearerError extends Error {
  override name = 'BearerError';
  readonly error: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  readonly status: number;
  readonly scope: string | undefined;

  constructor(error: BearerError['error'], scope?: string) {
    super(error);
    this.error = error;
    this.status = error === 'insufficient_scope' ? 403 : error === 'invalid_request' ? 400 : 401;
    this.scope = scope;
  }
}

const DESCRIPTIONS: Record<BearerError['error'], string> = {
  invalid_request: 'no access token provided',
  invalid_token: 'invalid token provided',
  insufficient_scope: 'access token missing required scope',
};

/** What a resource API reads of a request (a Fastify request, or a raw one at the front door). */
interface BearerRequest {
  headers: IncomingHttpHeaders;
  method?: string | undefined;
  body?: unknown;
}

/** The access token of a request: `Authorization: Bearer`, or `access_token` in a form POST. */
function bearerToken(headers: IncomingHttpHeaders, method: string | undefined, body?: unknown) {
  const header = headers.authorization;
  if (header && /^bearer /i.test(header)) return header.slice(7).trim() || undefined;
  const form = body as Record<string, unknown> | undefined;
  if (method === 'POST' && typeof form?.access_token === 'string') return form.access_token;
  return undefined;
}

/**
 * A stored artifact of `kind` that oidc-provider would still find: an opaque (not JWT) payload of
 * that kind, not expired (oidc-provider's `find` and `isExpired` together: `exp` a number after now).
 */
function live(found: unknown, kind: string): AdapterPayload | undefined {
  if (typeof found !== 'object' || found === null) return undefined;
  const stored = found as AdapterPayload;
  if (stored.kind !== kind || 'jwt' in stored || ('format' in stored && stored.format !== 'opaque'))
    return undefined;
  return typeof stored.exp === 'number' && stored.exp > epochSeconds() ? stored : undefined;
}

/**
 * Checks the request's access token (Authorization: Bearer, or `access_token` in a form POST):
 * issued by this issuer, not expired or revoked, still bound to its sign-in session when it ends
 * with it, its grant alive and the account's, its client enabled, its account still allowed, and
 * carrying every scope in `required`.
 *
 * The stored records are checked as they are, with the checks oidc-provider's `AccessToken.find`
 * makes (resource-api.test.ts holds the two side by side): building its models for a yes or no
 * took half of a resource call.
 */
export async function verifyAccessToken<A>(
  oidc: OidcProvider<A>,
  request: BearerRequest,
  required: string[],
): Promise<TokenInfo<A>> {
  const value = bearerToken(request.headers, request.method, request.body);
  if (!value) throw new BearerError('invalid_request');
  await oidc.sync();
  const { AccessToken, Grant, Session } = oidc.provider;
  const token = live(await AccessToken.adapter.find(value), 'AccessToken');
  const { accountId, clientId, grantId, sessionUid, scope } = token ?? {};
  if (!token || typeof accountId !== 'string' || typeof clientId !== 'string')
    throw new BearerError('invalid_token');
  // A token proven by a key (DPoP, mTLS) is never accepted as a bearer token.
  if (token.jkt !== undefined || token['x5t#S256'] !== undefined) throw new BearerError('invalid_token');
  if (token.expiresWithSession) {
    const session =
      typeof sessionUid === 'string'
        ? live(await Session.adapter.findByUid(sessionUid), 'Session')
        : undefined;
    const authorizations = session?.authorizations as Record<string, { grantId?: unknown }> | undefined;
    if (!session || session.accountId !== accountId || authorizations?.[clientId]?.grantId !== grantId)
      throw new BearerError('invalid_token');
  }
  if (grantId !== undefined) {
    const grant = typeof grantId === 'string' ? live(await Grant.adapter.find(grantId), 'Grant') : undefined;
    if (!grant || grant.accountId !== accountId) throw new BearerError('invalid_token');
  }
  // The client still enabled; its metadata is not needed (oidc-provider's Client.find would build
  // a client object and hash its metadata on every call).
  if (!(await oidc.clients.serves(clientId))) throw new BearerError('invalid_token');
  const account = await oidc.account(accountId, 'token');
  if (account === undefined || !oidc.options.accounts.findAccount(account, 'token'))
    throw new BearerError('invalid_token');
  const scopes = new Set(typeof scope === 'string' ? scope.split(' ') : []);
  for (const name of required) {
    if (!scopes.has(name)) throw new BearerError('insufficient_scope', required.join(' '));
  }
  return { accountId, account, clientId, scopes, grantId: typeof grantId === 'string' ? grantId : undefined };
}

/** A resource API's answer: status, headers and JSON (or gzipped JSON) body. */
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

const JSON_TYPE = 'application/json; charset=utf-8';

function bearerErrorAnswer(error: BearerError): Answer {
  const parts = [`Bearer realm="edugate"`];
  if (error.error !== 'invalid_request') parts.push(`error="${error.error}"`);
  if (error.scope) parts.push(`scope="${error.scope}"`);
  return {
    status: error.status,
    headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store', 'www-authenticate': parts.join(', ') },
    body: JSON.stringify({ error: error.error, error_description: DESCRIPTIONS[error.error] }),
  };
}

export function sendBearerError(reply: FastifyReply, error: BearerError) {
  const answer = bearerErrorAnswer(error);
  return reply.code(answer.status).headers(answer.headers).send(answer.body);
}

/** A resource API: its path, the scopes its token needs, and what it answers (JSON). */
export interface ResourceRoute<A> {
  path: string;
  scopes: string[];
  respond(token: TokenInfo<A>): Promise<unknown>;
  /** Whether to answer gzip-compressed (`content-encoding: gzip`), for clients that expect it. */
  gzip?: () => boolean;
}

/**
 * The answer of `route` to a request: the token check and `respond` in one request scope
 * (`token.account` is the record the check read). Errors are RFC 6750 JSON with a
 * WWW-Authenticate header; a dependency down gets 503 with Retry-After.
 */
async function answer<A>(
  oidc: OidcProvider<A>,
  route: ResourceRoute<A>,
  request: BearerRequest,
  log: FastifyBaseLogger,
): Promise<Answer> {
  return withRequestScope(async () => {
    let token: TokenInfo<A>;
    try {
      token = await verifyAccessToken(oidc, request, route.scopes);
    } catch (error) {
      if (error instanceof BearerError) return bearerErrorAnswer(error);
      if (isDependencyFailure(error)) {
        log.warn({ err: error }, 'oidc resource: dependency unavailable');
        return PROTOCOL_UNAVAILABLE_ANSWER;
      }
      throw error;
    }
    const json = JSON.stringify(await route.respond(token));
    const headers: Record<string, string> = { 'content-type': JSON_TYPE, 'cache-control': 'no-store' };
    if (!route.gzip?.()) return { status: 200, headers, body: json };
    return { status: 200, headers: { ...headers, 'content-encoding': 'gzip' }, body: gzipSync(json) };
  });
}

/**
 * Mounts resource APIs at `prefix` + each route's path, for GET and POST (deployed clients use
 * either; POST may carry the token as `access_token` in the form). A GET with an Authorization
 * header, what relying parties send on every call, is served at the front door, ahead of Fastify's
 * routing and hooks (it needs none of them: no session, no form, no page); the Fastify routes
 * serve the rest and `app.inject()`.
 */
export async function mountResources<A>(
  app: FastifyInstance,
  oidc: OidcProvider<A>,
  routes: ResourceRoute<A>[],
  prefix = '',
): Promise<void> {
  const byPath = new Map(routes.map((route) => [`${prefix}${route.path}`, route]));
  // The metrics' route label: the APIs' common first segment, e.g. `/cyc/cncresource/*`.
  const label = `${prefix}/${routes[0]?.path.split('/')[1] ?? ''}/*`;
  app.addFrontDoor(
    label,
    (request) => {
      if (request.method !== 'GET' || !request.headers.authorization) return undefined;
      const url = request.url ?? '';
      const query = url.indexOf('?');
      const route = byPath.get(query < 0 ? url : url.slice(0, query));
      if (!route) return undefined;
      return async (raw, response) => {
        const { status, headers, body } = await answer(oidc, route, raw, app.log);
        answerWhole(response, status, headers, body);
      };
    },
    'api',
  );
  await app.register(async (scope) => {
    for (const route of routes) {
      const handler: RouteHandlerMethod = async (request, reply) => {
        const { status, headers, body } = await answer(oidc, route, request, request.log);
        return reply.code(status).headers(headers).send(body);
      };
      scope.route({
        method: ['GET', 'POST'],
        url: `${prefix}${route.path}`,
        handler,
        config: { csrf: false, answers: 'api' },
      });
    }
  });
}
