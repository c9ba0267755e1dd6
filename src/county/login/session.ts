import type { FastifyRequest } from 'fastify';
import type { Account } from '../accounts/repository.ts';
import { findAccountBySession } from '../accounts/repository.ts';
import type { CountyTx } from '../db.ts';
import type { County } from '../services.ts';

interface SignedIn {
  id: string;
  sid: string;
  tenant: string;
  /** When the password was checked (seconds since the epoch); absent in older sessions. */
  at?: number;
}

const KEY = 'account';
// Sessions touch `last_seen_at` at most this often.
const TOUCH_MS = 5 * 60_000;

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in, active account of this tenant, when there is one (loaded by the tenant app). */
    countyAccount: Account | undefined;
  }
}

const signedIn = (account: Account, sessionId: string): SignedIn => ({
  id: account.id,
  sid: sessionId,
  tenant: account.tenant,
  at: Math.floor(Date.now() / 1000),
});

/** The browser session's values for a sign-in listed as row `sessionId` of the account's sessions. */
export const signedInSession = (account: Account, sessionId: string) => ({
  [KEY]: signedIn(account, sessionId),
});

export async function signOut(county: County, request: FastifyRequest): Promise<void> {
  const signed = request.session.get<SignedIn>(KEY);
  if (signed) {
    await county.db
      .updateTable('county_account_sessions')
      .set({ revoked_at: new Date() })
      .where('id', '=', signed.sid)
      .execute();
  }
  request.session.destroy();
  request.countyAccount = undefined;
}

/**
 * When this browser's sign-in checked the password (seconds since the epoch): the `auth_time` of
 * an OIDC login that reuses the portal session. Undefined for a session from before it was kept.
 */
export function signedInAt(request: FastifyRequest): number | undefined {
  return request.session.get<SignedIn>(KEY)?.at;
}

/** The session row id of the current sign-in (to mark "this device" in the sessions list). */
export function currentSessionId(request: FastifyRequest): string | undefined {
  return request.session.get<SignedIn>(KEY)?.sid;
}

/**
 * Loads the signed-in account of the request: the session must name this tenant, its row must not
 * be revoked, and the account must still be active (suspension ends every session at once).
 */
export async function loadSignedIn(
  county: County,
  request: FastifyRequest,
  tenant: string,
): Promise<Account | undefined> {
  const signed = request.session?.get<SignedIn>(KEY);
  if (!signed || signed.tenant !== tenant) return undefined;
  // The session row and the account in one read: a revoked row or a suspended account signs the browser out.
  const found = await findAccountBySession(county.db, tenant, signed.id, signed.sid);
  if (!found || found.revokedAt || found.account.state !== 'active') {
    request.session.delete(KEY);
    return undefined;
  }
  const { account } = found;
  if (Date.now() - found.lastSeenAt.getTime() > TOUCH_MS) {
    await county.db
      .updateTable('county_account_sessions')
      .set({ last_seen_at: new Date() })
      .where('id', '=', signed.sid)
      .execute();
  }
  return account;
}

/** Ends every session of an account except, optionally, one (after a password change or reset). */
export async function revokeSessions(db: CountyTx, accountId: string, except?: string): Promise<number> {
  let q = db
    .updateTable('county_account_sessions')
    .set({ revoked_at: new Date() })
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null);
  if (except) q = q.where('id', '<>', except);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
