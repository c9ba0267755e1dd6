import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { DEPENDENCY_RETRY_AFTER_SECONDS, isDependencyFailure } from '../errors/dependency.ts';
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

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header && /^bearer /i.test(header)) return header.slice(7).trim() || undefined;
  const body = request.body as Record<string, unknown> | undefined;
  if (request.method === 'POST' && typeof body?.access_token === 'string') return body.access_token;
  return undefined;
}

/**
 * Checks the request's access token (Authorization: Bearer, or `access_token` in a form POST):
 * issued by this issuer, not expired or revoked, its grant alive, its account still allowed,
 * and carrying every scope in `required`.
 */
export async function verifyAccessToken<A>(
  oidc: OidcProvider<A>,
  request: FastifyRequest,
  required: string[],
): Promise<TokenInfo<A>> {
  const value = bearerToken(request);
  if (!value) throw new BearerError('invalid_request');
  await oidc.sync();
  const { AccessToken, Grant } = oidc.provider;
  const token = await AccessToken.find(value);
  if (!token || token.isExpired || !token.accountId || !token.clientId)
    throw new BearerError('invalid_token');
  if (token.grantId) {
    const grant = await Grant.find(token.grantId);
    if (!grant || grant.accountId !== token.accountId) throw new BearerError('invalid_token');
  }
  const client = await oidc.provider.Client.find(token.clientId);
  if (!client) throw new BearerError('invalid_token');
  const accountId = token.accountId;
  const account = await oidc.account(accountId, 'token');
  if (account === undefined || !oidc.options.accounts.findAccount(account, 'token'))
    throw new BearerError('invalid_token');
  const scopes = token.scopes;
  for (const scope of required) {
    if (!scopes.has(scope)) throw new BearerError('insufficient_scope', required.join(' '));
  }
  return { accountId, account, clientId: token.clientId, scopes, grantId: token.grantId };
}

export function sendBearerError(reply: FastifyReply, error: BearerError) {
  const parts = [`Bearer realm="edugate"`];
  if (error.error !== 'invalid_request') parts.push(`error="${error.error}"`);
  if (error.scope) parts.push(`scope="${error.scope}"`);
  return reply
    .code(error.status)
    .header('www-authenticate', parts.join(', '))
    .header('cache-control', 'no-store')
    .send({ error: error.error, error_description: DESCRIPTIONS[error.error] });
}

/**
 * A resource API route handler: checks the token and scopes, then answers with what `respond`
 * returns (JSON). Errors are RFC 6750 JSON with a WWW-Authenticate header. The check and
 * `respond` are one request (one request scope): `token.account` is the record the check read.
 */
export function resourceHandler<A>(
  oidc: OidcProvider<A>,
  required: string[],
  respond: (token: TokenInfo<A>, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
): RouteHandlerMethod {
  return (request, reply) =>
    withRequestScope(async () => {
      let token: TokenInfo<A>;
      try {
        token = await verifyAccessToken(oidc, request, required);
      } catch (error) {
        if (error instanceof BearerError) return sendBearerError(reply, error);
        if (isDependencyFailure(error)) {
          request.log.warn({ err: error }, 'oidc resource: dependency unavailable');
          return reply
            .code(503)
            .header('retry-after', String(DEPENDENCY_RETRY_AFTER_SECONDS))
            .header('cache-control', 'no-store')
            .send({
              error: 'temporarily_unavailable',
              error_description: 'the service is temporarily unavailable; retry later',
            });
        }
        throw error;
      }
      reply.header('cache-control', 'no-store');
      return respond(token, request, reply);
    });
}
