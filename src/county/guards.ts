import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, redirect } from '../platform/errors/app-error.ts';
import { safeReturnTo } from '../platform/http/return-to.ts';
import type { Account } from './accounts/repository.ts';
import type { AccountRole } from './schema.ts';
import type { Tenant } from './tenants/tenants.ts';

/**
 * The signed-in account, or: a redirect to the login page (GET, thrown: the handler stops there),
 * or 401 (other methods).
 */
export function signedIn(request: FastifyRequest, _reply: FastifyReply, tenant: Tenant): Account | undefined {
  const account = request.countyAccount;
  if (account) return account;
  if (request.method === 'GET') {
    const next = request.url.startsWith(`/${tenant.code}/`) ? request.url : `/${tenant.code}/account`;
    throw redirect(`/${tenant.code}/login?next=${encodeURIComponent(next)}`);
  }
  throw new AppError('unauthorized', 401);
}

/** The signed-in account when it has one of the roles; 403 otherwise. */
export function withRole(
  request: FastifyRequest,
  reply: FastifyReply,
  tenant: Tenant,
  roles: readonly AccountRole[],
): Account | undefined {
  const account = signedIn(request, reply, tenant);
  if (!account) return undefined;
  if (!roles.includes(account.role)) throw new AppError('forbidden', 403);
  return account;
}

/**
 * A path of this county's portal to return to after signing in (`next`); anything else (other
 * sites, other portals, `..` tricks) falls back to the account page (`safeReturnTo`).
 */
export function safeNext(tenant: Tenant, next: unknown): string {
  return safeReturnTo(next, { fallback: `/${tenant.code}/account`, within: `/${tenant.code}/` });
}
