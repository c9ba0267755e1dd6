import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { endBrowserSession, endSessionByUid, revokeAccount } from '../../platform/oidc/index.ts';
import type { CloudServices } from '../services.ts';
import {
  type CountyLogin,
  currentCloudAccount,
  currentSessionId,
  requireCloudAccount,
  signOut,
} from '../session.ts';
import { sendCloudPage } from '../views.ts';
import type { BrowserSession } from './browser-sessions.ts';
import { type SignedOutReport, sessionsMain, signedOutMain } from './sign-out-pages.ts';

export type SetCookie = (
  name: string,
  value: string,
  options: { path: string; maxAgeSeconds: number },
) => void;

const REPORT_COOKIE = 'edugate_cloud_signed_out';
const REPORT_SECONDS = 600;

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
 * Google's front-channel logout, which ends Google's own session of the browser (Google offers its
 * identity provider no back-channel or single logout), coming back to `next`; undefined when no
 * Google service provider is enabled at the cloud's SAML IdP. Real Google (its ACS on
 * `www.google.com`) lets `continue` lead only to its own hosts, so the browser goes on through App
 * Engine's logout, whose `continue` may be any address (the usual chain of identity providers for
 * Google Workspace). Elsewhere (the demo's Google stand-in) the ACS host's `/accounts/Logout`, which
 * takes `continue` to the hosts of its SSO profiles.
 */
export async function googleSignOutUrl(services: CloudServices, next: string): Promise<string | undefined> {
  const providers = await services.db
    .selectFrom('saml_service_providers')
    .select(['entity_id', 'acs_urls'])
    .where('enabled', '=', true)
    .execute();
  const google = providers.find((p) =>
    /^(google\.com\/a\/|https:\/\/accounts\.google\.com\/)/.test(p.entity_id),
  );
  const acs = (google?.acs_urls as string[] | undefined)?.[0];
  if (!acs) return undefined;
  const origin = new URL(acs).origin;
  if (/^https:\/\/(www\.)?google\.com$/.test(origin)) {
    const appEngine = `https://appengine.google.com/_ah/logout?continue=${encodeURIComponent(next)}`;
    return `https://www.google.com/accounts/Logout?continue=${encodeURIComponent(appEngine)}`;
  }
  return `${origin}/accounts/Logout?continue=${encodeURIComponent(next)}`;
}

/**
 * A county portal's 「您已登出」 page that sent the browser through the cloud's sign-out URL
 * (`?continue=`): only the `/signed-out` page of a county issuer the cloud trusts.
 */
async function countyContinue(cloud: CloudServices, value: unknown): Promise<string | undefined> {
  if (typeof value !== 'string') return undefined;
  const counties = await cloud.counties.list();
  return counties.some((c) => c.enabled && `${c.issuer.replace(/\/+$/, '')}/signed-out` === value)
    ? value
    : undefined;
}

function readReport(request: FastifyRequest): SignedOutReport | undefined {
  const value = request.cookies[REPORT_COOKIE];
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as SignedOutReport;
    return Array.isArray(parsed.apps) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Signing out of the cloud (the 登出 button, and the sign-out URL Google's SSO profile and the
 * activation portal send the browser to): the browser's provider session ends (its relying
 * parties are told by back-channel logout), the cloud session and its row end, and a county login
 * goes on to the county's RP-initiated logout (`id_token_hint`), which comes back to 「您已登出」.
 */
async function signOutBrowser(request: FastifyRequest, reply: FastifyReply) {
  const { cloud } = request.server;
  const account = await currentCloudAccount(request);
  const ended = cloud.oidc ? await endBrowserSession(cloud.oidc, request.raw, reply.raw) : { clients: [] };
  const county = await signOut(request);
  const onward = await countyContinue(cloud, (request.query as Record<string, unknown>).continue);
  if (account) {
    await recordAudit(cloud.db, { actor: account.name, action: 'logout', ip: request.ip });
  }
  // A county that sent the browser here (`continue`) has signed it out already.
  const done = { apps: ended.clients, county: onward ? undefined : county, onward };
  const next = await continueSignOut(cloud, done, (name, value, options) =>
    reply.setCookie(name, value, {
      path: options.path,
      httpOnly: true,
      sameSite: 'lax',
      secure: cloud.ctx.config.secureCookies,
      maxAge: options.maxAgeSeconds,
    }),
  );
  return reply.redirect(next, 303);
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
  const signedOutUrl = `${cloud.ctx.urls.cloud.replace(/\/+$/, '')}/signed-out`;
  let next = '/signed-out';
  const county = done.county;
  if (county?.idToken) {
    const state = randomBytes(12).toString('base64url');
    const url = await cloud.broker.endSessionUrl(county.code, county.idToken, signedOutUrl, state);
    if (url) {
      const connection = await cloud.counties.get(county.code);
      report.county = { name: connection?.name ?? county.code, state };
      next = url;
    }
  }
  setCookie(REPORT_COOKIE, Buffer.from(JSON.stringify(report)).toString('base64url'), {
    path: '/signed-out',
    maxAgeSeconds: REPORT_SECONDS,
  });
  return next;
}

/**
 * The way back to the relying party that asked for the sign-out, if its address is still one it
 * registered (the cookie is only the cloud's, but the page never sends anyone elsewhere).
 */
async function wayBack(cloud: CloudServices, report: SignedOutReport | undefined) {
  const back = report?.back;
  if (!back || !cloud.oidc) return undefined;
  const client = await cloud.oidc.clients.get(back.clientId).catch(() => undefined);
  let url: URL;
  try {
    url = new URL(back.url);
  } catch {
    return undefined;
  }
  const state = url.searchParams.get('state');
  url.search = '';
  const base = url.href;
  if (!client || client.disabled || !client.postLogoutRedirectUris.includes(base)) return undefined;
  const target = new URL(base);
  if (state !== null) target.searchParams.set('state', state);
  return { name: client.name, url: target.href };
}

/**
 * Where the sign-out chain goes on from 「您已登出」, if anywhere: last Google's own session (then
 * back here), or the county portal whose own sign-out started it. The report cookie records the step.
 */
async function nextInChain(
  cloud: CloudServices,
  reply: FastifyReply,
  report: SignedOutReport,
  countyDone: boolean,
): Promise<string | undefined> {
  const keep = (next: SignedOutReport) =>
    reply.setCookie(REPORT_COOKIE, Buffer.from(JSON.stringify(next)).toString('base64url'), {
      path: '/signed-out',
      httpOnly: true,
      sameSite: 'lax',
      secure: cloud.ctx.config.secureCookies,
      maxAge: REPORT_SECONDS,
    });
  if (report.google === 'pending') {
    const google = await googleSignOutUrl(cloud, `${cloud.ctx.urls.cloud.replace(/\/+$/, '')}/signed-out`);
    keep({ ...report, google: google ? 'done' : 'none', countyDone });
    if (google) return google;
  }
  if (report.onward) {
    const { onward, ...rest } = report;
    keep(rest);
    // Checked again: the cookie is only ever the cloud's, but this page sends nobody elsewhere.
    return countyContinue(cloud, onward);
  }
  return undefined;
}

/** Sign-out, 「您已登出」, and 登入中的裝置 (the account's signed-in browsers, 登出其他裝置). */
export function signOutRoutes(app: FastifyInstance): void {
  const { cloud } = app;

  app.post('/logout', signOutBrowser);
  // The sign-out URL of Google's SSO profile: Google sends the browser here after its own sign-out.
  app.get('/logout', signOutBrowser);

  app.get('/signed-out', async (request, reply) => {
    const t = request.t;
    const report = readReport(request);
    const state = (request.query as Record<string, unknown>).state;
    const countyDone = report?.countyDone === true || (!!report?.county && state === report.county.state);
    const onward = report ? await nextInChain(cloud, reply, report, countyDone) : undefined;
    if (onward) return reply.redirect(onward, 303);
    const county = report?.county && countyDone ? report.county.name : undefined;
    const signedIn = await currentCloudAccount(request);
    const back = signedIn ? undefined : await wayBack(cloud, report);
    const view = { signedIn: signedIn ? cloud.emailOf(signedIn) : undefined, report, county, back };
    return sendCloudPage(request, reply, {
      title: t('cloud.signed_out.title'),
      main: signedOutMain(request, view),
    });
  });

  app.get('/account/sessions', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    const t = request.t;
    const current = currentSessionId(request);
    const rows = await cloud.sessions.list(account.id);
    const counties = new Map((await cloud.counties.list()).map((c) => [c.code, c.name]));
    const view = { rows, current, counties };
    return sendCloudPage(request, reply, {
      title: t('cloud.sessions.title'),
      account,
      main: sessionsMain(request, view),
    });
  });

  app.post<{ Params: { id: string } }>('/account/sessions/:id/revoke', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    const row = await cloud.sessions.revoke(account.id, request.params.id.slice(0, 100));
    if (!row) throw new AppError('not_found', 404);
    await endProviderSessions(cloud, [row]);
    await recordAudit(cloud.db, {
      actor: account.name,
      action: 'session.revoked',
      target: account.id,
      ip: request.ip,
    });
    return reply.redirect('/account/sessions', 303);
  });

  app.post('/account/sessions/revoke-others', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    const rows = await cloud.sessions.revokeAll(account.id, currentSessionId(request));
    await endProviderSessions(cloud, rows);
    await recordAudit(cloud.db, {
      actor: account.name,
      action: 'session.revoked',
      target: account.id,
      ip: request.ip,
      details: { count: rows.length },
    });
    return reply.redirect('/account/sessions', 303);
  });
}
