// Signing out of the cloud: this browser (and the chain behind it), one of the account's signed-in
// browsers (登入中的裝置), the others (登出其他裝置), or every one (a password reset or change).
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { endBrowserSession, endSessionByUid, revokeAccount } from '../../platform/oidc/index.ts';
import type { CloudServices } from '../services.ts';
import { type CountyLogin, currentCloudAccount, signOut } from '../session.ts';
import type { CloudAccount } from './accounts.ts';
import { auditOwnAct } from './audit.ts';
import type { BrowserSession } from './browser-sessions.ts';
import { countyContinue, keepReport, replyCookies, type SetCookie, signedOutUrl } from './sign-out-chain.ts';
import type { SignedOutReport } from './sign-out-pages.ts';

/**
 * Ends what the given browser sessions rested on at the cloud's OIDC provider: their provider
 * sessions (relying parties get back-channel logout) and their grants.
 */
export async function endProviderSessions(services: CloudServices, rows: BrowserSession[]): Promise<void> {
  const oidc = services.oidc;
  if (!oidc) return;
  for (const row of rows) if (row.oidc_session_uid) await endSessionByUid(oidc, row.oidc_session_uid);
}

/**
 * Every sign-in of the account ends (password reset or change): its browser sessions but
 * `except` (the browser that changed the password), and at the OIDC provider every session,
 * grant, refresh token and access token; relying parties get back-channel logout.
 */
export async function revokeEverywhere(
  services: CloudServices,
  accountId: string,
  except?: string,
): Promise<void> {
  const rows = await services.sessions.revokeAll(accountId, except);
  if (!services.oidc) return;
  await revokeAccount(
    services.oidc,
    accountId,
    rows.flatMap((row) => (row.oidc_session_uid ? [row.oidc_session_uid] : [])),
  );
}

/**
 * 登出 on one row of 登入中的裝置: that browser's row ends with its audit record, then what it
 * rested on at the provider. `not_found` when the account has no such live row.
 */
export async function revokeDevice(
  cloud: CloudServices,
  account: CloudAccount,
  id: string,
  ip: string,
): Promise<void> {
  const row = await cloud.db.transaction().execute(async (tx) => {
    const revoked = await cloud.sessions.revoke(account.id, id, tx);
    if (!revoked) throw new AppError('not_found', 404);
    await auditOwnAct(tx, account, 'session.revoked', ip);
    return revoked;
  });
  await endProviderSessions(cloud, [row]);
}

/** 登出其他裝置: every signed-in browser of the account but this one (`current`). */
export async function revokeOtherDevices(
  cloud: CloudServices,
  account: CloudAccount,
  current: string | undefined,
  ip: string,
): Promise<void> {
  const rows = await cloud.db.transaction().execute(async (tx) => {
    const revoked = await cloud.sessions.revokeAll(account.id, current, tx);
    await auditOwnAct(tx, account, 'session.revoked', ip, { count: revoked.length });
    return revoked;
  });
  await endProviderSessions(cloud, rows);
}

/**
 * Signing out of the cloud (the 登出 button, and the sign-out URL Google's SSO profile and the
 * activation portal send the browser to): the browser's provider session ends (its relying
 * parties are told by back-channel logout), the cloud session and its row end, and a county login
 * goes on to the county's RP-initiated logout (`id_token_hint`), which comes back to 「您已登出」.
 * `onward` is the county portal's page that sent the browser here, if any (`?continue=`). Returns
 * where to send the browser.
 */
export async function signOutBrowser(
  cloud: CloudServices,
  request: FastifyRequest,
  reply: FastifyReply,
  onward: unknown,
): Promise<string> {
  const account = await currentCloudAccount(request);
  const ended = cloud.oidc ? await endBrowserSession(cloud.oidc, request.raw, reply.raw) : { clients: [] };
  const county = await signOut(request);
  const trusted = await countyContinue(cloud, onward);
  if (account) {
    await recordAudit(cloud.db, { actor: account.name, action: 'logout', ip: request.ip });
  }
  // A county that sent the browser here (`continue`) has signed it out already.
  const done = { apps: ended.clients, county: trusted ? undefined : county, onward: trusted };
  return continueSignOut(cloud, done, replyCookies(cloud, reply));
}

/**
 * The rest of a sign-out once the cloud's own sessions ended (the 登出 button, the sign-out URL,
 * or a relying party's RP-initiated logout at the cloud's provider): a county login goes on to the
 * county's RP-initiated logout (`id_token_hint`), which comes back to 「您已登出」; otherwise the
 * browser goes there at once. The page's report (what was signed out, the way back to the relying
 * party that asked) travels in a short-lived cookie. Returns where to send the browser.
 */
export async function continueSignOut(
  cloud: CloudServices,
  done: {
    apps: string[];
    county: CountyLogin | undefined;
    back?: SignedOutReport['back'];
    onward?: string | undefined;
  },
  setCookie: SetCookie,
): Promise<string> {
  const report: SignedOutReport = {
    apps: done.apps,
    google: 'pending',
    ...(done.back ? { back: done.back } : {}),
    ...(done.onward ? { onward: done.onward } : {}),
  };
  let next = '/signed-out';
  const county = done.county;
  if (county?.idToken) {
    const state = randomBytes(12).toString('base64url');
    const url = await cloud.broker.endSessionUrl(county.code, county.idToken, signedOutUrl(cloud), state);
    if (url) {
      const connection = await cloud.counties.get(county.code);
      report.county = { name: connection?.name ?? county.code, state };
      next = url;
    }
  }
  keepReport(setCookie, report);
  return next;
}
