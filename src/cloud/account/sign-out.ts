import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { platformView } from '../../platform/database/platform-schema.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { endBrowserSession, endSessionByUid, revokeAccount } from '../../platform/oidc/index.ts';
import { html } from '../../platform/views/html.ts';
import type { CloudServices } from '../services.ts';
import { currentCloudAccount, currentSessionId, requireCloudAccount, signOut } from '../session.ts';
import { csrfField, sendCloudPage } from '../views.ts';
import type { BrowserSession } from './browser-sessions.ts';

/** What the 「您已登出」 page reports, kept in a short-lived cookie across the county's logout. */
interface SignedOutReport {
  apps: string[];
  /** The county whose RP-initiated logout the browser was sent to, and the `state` it echoes. */
  county?: { name: string; state: string };
}

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
 * Google's own sign-out (a Google session outlives the identity provider's: Google offers no
 * single logout to it). In the demo, the Google stand-in's; it then comes back here through the
 * SSO profile's sign-out URL.
 */
function googleSignOutUrl(services: CloudServices): string {
  return services.ctx.demo
    ? `${services.ctx.urls.google.replace(/\/+$/, '')}/Logout`
    : 'https://accounts.google.com/Logout';
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
  if (account) {
    await recordAudit(platformView(cloud.db), { actor: account.name, action: 'logout', ip: request.ip });
  }
  const report: SignedOutReport = { apps: ended.clients };
  let next = '/signed-out';
  if (county?.idToken) {
    const state = randomBytes(12).toString('base64url');
    const url = await cloud.broker.endSessionUrl(
      county.code,
      county.idToken,
      `${cloud.ctx.urls.cloud.replace(/\/+$/, '')}/signed-out`,
      state,
    );
    if (url) {
      const connection = await cloud.counties.get(county.code);
      report.county = { name: connection?.name ?? county.code, state };
      next = url;
    }
  }
  reply.setCookie(REPORT_COOKIE, Buffer.from(JSON.stringify(report)).toString('base64url'), {
    path: '/signed-out',
    httpOnly: true,
    sameSite: 'lax',
    secure: cloud.ctx.config.secureCookies,
    maxAge: REPORT_SECONDS,
  });
  return reply.redirect(next, 303);
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
    const county = report?.county && state === report.county.state ? report.county.name : undefined;
    const signedIn = await currentCloudAccount(request);
    return sendCloudPage(request, reply, {
      title: t('cloud.signed_out.title'),
      main: html`<h1>${t('cloud.signed_out.title')}</h1>
${
  signedIn
    ? html`<div class="notice" role="status"><p>${t('cloud.signed_out.still', { email: cloud.emailOf(signedIn) })}</p></div>`
    : html`<div class="success" role="status"><p>${t('cloud.signed_out.intro')}</p>
<ul id="signed-out-services"><li>${t('cloud.brand')}</li>
${(report?.apps ?? []).map((name) => html`<li>${t('cloud.signed_out.app', { name })}</li>`)}
${county ? html`<li>${county}</li>` : ''}</ul></div>
<p>${t('cloud.signed_out.again')}</p>
<p>${t('cloud.signed_out.google')} <a class="button secondary" id="google-sign-out" href="${googleSignOutUrl(cloud)}">${t('cloud.signed_out.google_link')}</a></p>`
}
<p><a href="/login">${t('cloud.signed_out.login')}</a></p>`,
    });
  });

  app.get('/account/sessions', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    const t = request.t;
    const current = currentSessionId(request);
    const rows = await cloud.sessions.list(account.id);
    const counties = new Map((await cloud.counties.list()).map((c) => [c.code, c.name]));
    const time = (d: Date) => new Date(d).toISOString().slice(0, 16).replace('T', ' ');
    return sendCloudPage(request, reply, {
      title: t('cloud.sessions.title'),
      account,
      main: html`<h1>${t('cloud.sessions.title')}</h1>
<table><thead><tr><th scope="col">${t('cloud.sessions.started')}</th><th scope="col">${t('cloud.sessions.seen')}</th><th scope="col">${t('cloud.sessions.via')}</th><th scope="col">${t('cloud.sessions.ip')}</th><th scope="col">${t('cloud.sessions.agent')}</th><th scope="col"><span class="visually-hidden">${t('cloud.sessions.actions')}</span></th></tr></thead><tbody>
${rows.map(
  (s) => html`<tr><td>${time(s.created_at)}</td><td>${time(s.last_seen_at)}</td>
<td>${s.county_code ? (counties.get(s.county_code) ?? s.county_code) : t('cloud.sessions.password')}</td><td>${s.ip ?? ''}</td><td translate="no" class="device">${s.user_agent ?? ''}</td>
<td>${
    s.id === current
      ? html`<strong>${t('cloud.sessions.this')}</strong>`
      : html`<form method="post" action="/account/sessions/${s.id}/revoke" class="inline">${csrfField(request)}<button type="submit" class="secondary">${t('cloud.sessions.revoke')}</button></form>`
  }</td></tr>`,
)}</tbody></table>
${rows.length > 1 ? html`<form method="post" action="/account/sessions/revoke-others">${csrfField(request)}<button type="submit">${t('cloud.sessions.revoke_others')}</button></form>` : ''}
<p><a href="/account">${t('cloud.nav.account')}</a></p>`,
    });
  });

  app.post<{ Params: { id: string } }>('/account/sessions/:id/revoke', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    const row = await cloud.sessions.revoke(account.id, request.params.id.slice(0, 100));
    if (!row) throw new AppError('not_found', 404);
    await endProviderSessions(cloud, [row]);
    await recordAudit(platformView(cloud.db), {
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
    await recordAudit(platformView(cloud.db), {
      actor: account.name,
      action: 'session.revoked',
      target: account.id,
      ip: request.ip,
      details: { count: rows.length },
    });
    return reply.redirect('/account/sessions', 303);
  });
}
