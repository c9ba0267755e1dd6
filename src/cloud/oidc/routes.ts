import type { FastifyInstance } from 'fastify';
import type { SessionStore } from '../../platform/http/session-store.ts';
import { destroySession, readSession } from '../../platform/http/sessions.ts';
import {
  finishLogin,
  mountInteractions,
  mountProtocol,
  mountResources,
  type OidcProvider,
  type OidcProviderOptions,
  type ResourceRoute,
  satisfiesLogin,
  type TokenInfo,
  wantedClaims,
} from '../../platform/oidc/index.ts';
import type { AccountWithIdentities } from '../account/accounts.ts';
import type { ReleasableAccounts } from '../account/releasable.ts';
import { continueSignOut } from '../account/sign-out.ts';
import type { CloudServices } from '../services.ts';
import {
  askFreshSignIn,
  cloudAuthentication,
  cloudLoginUrl,
  countyLoginOf,
  currentCloudAccount,
  signedInAgainFor,
  signedInOf,
} from '../session.ts';
import { cloudClaims, eduInfoOf } from './claims.ts';
import type { CloudIssuer } from './provider.ts';
import { CLOUD_SCOPES } from './scopes.ts';

type Token = TokenInfo<AccountWithIdentities>;

/** The claims the token's scopes allow, as userinfo gives them. */
async function scopedClaims(services: CloudServices, token: Token): Promise<Record<string, unknown>> {
  const wanted = wantedClaims(CLOUD_SCOPES, [...token.scopes].join(' '));
  // The record the token check read (same request); it refused missing or suspended accounts.
  const all = (await cloudClaims(services, token.account, wanted)) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { sub: all.sub };
  for (const scope of token.scopes) {
    for (const claim of CLOUD_SCOPES[scope] ?? []) if (all[claim] !== undefined) out[claim] = all[claim];
  }
  return out;
}

/**
 * The protocol endpoints (SPEC §4 paths) and the resource APIs `/moeresource/api/v1/oidc/…` and
 * `/moeresource/api/v2/oidc/…`, on the app's root context (no browser session needed).
 */
export async function mountCloudProtocol(app: FastifyInstance, oidc: CloudIssuer, services: CloudServices) {
  await mountProtocol(app, oidc);
  const eduinfo = async (token: Token) => ({ sub: token.accountId, ...eduInfoOf(token.account.identities) });
  const gzip = () => services.ctx.config.cloudEduinfoGzip;
  const routes: ResourceRoute<AccountWithIdentities>[] = [
    {
      path: '/moeresource/api/v1/oidc/userinfo',
      scopes: ['openid'],
      respond: (token) => scopedClaims(services, token),
    },
    {
      path: '/moeresource/api/v1/oidc/profile',
      scopes: ['profile'],
      async respond(token) {
        const claims = await scopedClaims(services, token);
        const { sub, name, family_name, given_name, preferred_username, email } = claims;
        return { sub, name, family_name, given_name, preferred_username, ...(email ? { email } : {}) };
      },
    },
    { path: '/moeresource/api/v1/oidc/eduinfo', scopes: ['eduinfo'], respond: eduinfo, gzip },
    { path: '/moeresource/api/v2/oidc/eduinfo', scopes: ['eduinfo'], respond: eduinfo, gzip },
    {
      path: '/moeresource/api/v2/oidc/relation',
      scopes: ['eduinfo'],
      async respond(token) {
        const identities = token.account.identities;
        const counties = new Map((await services.counties.list()).map((c) => [c.code, c.name]));
        return {
          sub: token.accountId,
          relation: identities.map((i) => ({
            type: 'county_account',
            county: i.countyCode,
            county_name: counties.get(i.countyCode) ?? i.countyCode,
            schoolid: i.snapshot.schoolid ?? '',
            titles: i.snapshot.titles.find((t) => t.schoolid === i.snapshot.schoolid)?.titles ?? [],
            last_login_at: i.lastLoginAt.toISOString(),
          })),
        };
      },
    },
  ];
  await mountResources(app, oidc, routes);
}

/**
 * The provider's login prompt is the cloud login: a browser with a live cloud session goes
 * straight through (single sign-on), others sign in (cloud password or county) and come back.
 * A client that asks for fresh credentials (`prompt=login`, or a `max_age` the session's sign-in
 * is older than) gets them: the browser is sent to the login form even with a live session (a
 * county login then carries `prompt=login` to the county), and only a sign-in made after that
 * answers. `auth_time` is when the person authenticated (see `CloudAuthentication.time`).
 * Registered where the cloud session runs.
 */
export async function mountCloudInteractions(site: FastifyInstance, oidc: OidcProvider) {
  await mountInteractions(site, oidc, {
    login: async (request, reply, view) => {
      const account = await currentCloudAccount(request);
      const auth = cloudAuthentication(request);
      if (account && auth) {
        const enough = view.reauthenticate
          ? signedInAgainFor(request, view.uid) ||
            (!view.reasons.includes('login_prompt') && satisfiesLogin(view, auth.time))
          : true;
        if (enough)
          return finishLogin(oidc, request, reply, account.id, { authTime: auth.time, amr: auth.amr });
      }
      if (view.reauthenticate) askFreshSignIn(request, view.uid);
      return reply.redirect(`${cloudLoginUrl(view.action)}${view.reauthenticate ? '&reauth=1' : ''}`, 303);
    },
  });
}

/**
 * The cloud provider's session rests on the cloud session of the same browser: it stands while
 * that session is signed in to the same account and its row is live (not signed out here, by a
 * county's back-channel logout, 登出其他裝置 or a password change). The row records the provider
 * session's uid, so that ending the row ends the provider session too.
 */
export function cloudHostSession(
  services: CloudServices,
  store: SessionStore,
  cookieName: string,
  accounts: ReleasableAccounts,
): OidcProviderOptions<unknown, AccountWithIdentities>['hostSession'] {
  return async (cookie, session) => {
    const signed = signedInOf(await readSession(store, cookie(cookieName)));
    if (!signed || signed.accountId !== session.accountId) return false;
    // The row and the account (one read, or this node's copies while neither changed): the
    // authorization uses this account record.
    const found = await accounts.withSignIn(signed.sessionId, signed.accountId, () =>
      services.sessions.signInWithAccount(signed.sessionId, signed.accountId),
    );
    if (!found || found.signIn.revoked) return false;
    if (found.signIn.oidcSessionUid !== session.uid) {
      await services.sessions.linkOidcSession(signed.sessionId, session.uid);
      accounts.forgetSignIn(signed.sessionId);
    }
    return { account: found.account };
  };
}

/**
 * RP-initiated logout (`/oidc/v1/logout-to-go`, `/oidc/v1/userlogout`) also ends the cloud
 * session of the browser and its row, then goes on as the cloud's own 登出 does: a county login to
 * the county's RP-initiated logout, then 「您已登出」 listing what was signed out, with the way back
 * to the relying party's registered post-logout redirect URI.
 */
export function cloudHostSignOut(
  services: CloudServices,
  store: SessionStore,
  cookieName: string,
): OidcProviderOptions['hostSignOut'] {
  return async (cookie, ended, setCookie) => {
    const data = await destroySession(store, cookie(cookieName));
    const signed = signedInOf(data);
    if (signed) await services.sessions.revoke(signed.accountId, signed.sessionId);
    const back =
      ended.client && ended.postLogoutRedirect
        ? { clientId: ended.client.id, name: ended.client.name, url: ended.postLogoutRedirect }
        : undefined;
    return continueSignOut(services, { apps: ended.clients, county: countyLoginOf(data), back }, setCookie);
  };
}
