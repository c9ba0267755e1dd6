import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, redirect } from '../platform/errors/app-error.ts';
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

/** A local path to return to after signing in; anything else falls back to the account page. */
export function safeNext(tenant: Tenant, next: unknown): string {
  const fallback = `/${tenant.code}/account`;
  if (typeof next !== 'string') return fallback;
  if (!next.startsWith(`/${tenant.code}/`) || next.startsWith('//') || /[\\\r\n]/.test(next)) return fallback;
  return next;
}
