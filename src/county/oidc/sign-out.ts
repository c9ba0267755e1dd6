import type { FastifyReply, FastifyRequest } from 'fastify';
import { destroySession, readSession } from '../../platform/http/sessions.ts';
import {
  endBrowserSession,
  endSessionByUid,
  type OidcProvider,
  type OidcProviderOptions,
  revokeAccount,
} from '../../platform/oidc/index.ts';
import type { ReleasableAccount } from '../accounts/claims.ts';
import type { ReleasableAccounts } from '../accounts/releasable.ts';
import { sessionCookieName } from '../app.ts';
import type { County } from '../services.ts';

/** What the portal session keeps of a sign-in (see login/session.ts). */
interface SignedIn {
  id: string;
  sid: string;
  tenant: string;
}

/**
 * The county provider's session rests on the portal session of the same browser: it stands while
 * that session is signed in to the same account and its row is not revoked (signed out, 「登出」 on
 * the sessions page, password changed). The row records the provider session's uid, so that
 * ending the row ends the provider session too.
 */
export function countyHostSession(
  county: County,
  tenant: string,
  accounts: ReleasableAccounts,
): OidcProviderOptions<unknown, ReleasableAccount>['hostSession'] {
  const store = county.ctx.sessionStore(`county:${tenant}`);
  return async (cookie, session) => {
    const data = await readSession(store, cookie(sessionCookieName(tenant)));
    const signed = data?.account as SignedIn | undefined;
    if (!signed || signed.tenant !== tenant || signed.id !== session.accountId) return false;
    // The row and the account (one read, or this node's copies while neither changed): the
    // authorization uses this account record.
    const found = await accounts.withSignIn(tenant, signed.id, signed.sid);
    if (!found || found.signIn.revoked) return false;
    if (found.signIn.oidcSessionUid !== session.uid) {
      await county.db
        .updateTable('county_account_sessions')
        .set({ oidc_session_uid: session.uid })
        .where('id', '=', signed.sid)
        .execute();
      accounts.forgetSignIn(signed.sid);
    }
    return { account: found.account };
  };
}

/** RP-initiated logout at the county provider ends the portal session of the browser too. */
export function countyHostSignOut(county: County, tenant: string): OidcProviderOptions['hostSignOut'] {
  const store = county.ctx.sessionStore(`county:${tenant}`);
  return async (cookie) => {
    const data = await destroySession(store, cookie(sessionCookieName(tenant)));
    const signed = data?.account as SignedIn | undefined;
    if (!signed) return;
    await county.db
      .updateTable('county_account_sessions')
      .set({ revoked_at: new Date() })
      .where('id', '=', signed.sid)
      .where('revoked_at', 'is', null)
      .execute();
  };
}

/**
 * Registers the provider's part of the county sign-outs: the portal's 登出 ends the provider
 * session of the browser, revoking sessions on the sessions page ends theirs, and a password reset
 * or change revokes every session, grant and token of the account. Relying parties that
 * registered a back-channel logout URI (the education cloud) are told each time.
 */
export function registerProviderSignOuts(
  county: County,
  issuer: (tenant: string) => OidcProvider | undefined,
) {
  county.signOuts.register({
    async browser(tenant: string, request: FastifyRequest, reply: FastifyReply) {
      const oidc = issuer(tenant);
      if (!oidc) return { names: [], backchannelLogoutUris: [] };
      const ended = await endBrowserSession(oidc, request.raw, reply.raw);
      return { names: ended.clients, backchannelLogoutUris: ended.backchannelLogoutUris };
    },
    async sessions(tenant, _accountId, uids) {
      const oidc = issuer(tenant);
      if (!oidc) return;
      for (const uid of uids) await endSessionByUid(oidc, uid);
    },
    async account(tenant, accountId) {
      const oidc = issuer(tenant);
      if (!oidc) return;
      const rows = await county.db
        .selectFrom('county_account_sessions')
        .select('oidc_session_uid')
        .where('account_id', '=', accountId)
        .where('oidc_session_uid', 'is not', null)
        .execute();
      await revokeAccount(
        oidc,
        accountId,
        rows.flatMap((row) => (row.oidc_session_uid ? [row.oidc_session_uid] : [])),
      );
    },
  });
}
