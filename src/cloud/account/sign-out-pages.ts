import type { FastifyRequest } from 'fastify';
import { pageTime } from '../../platform/i18n/time.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { csrfField } from '../views.ts';
import type { BrowserSession } from './browser-sessions.ts';

/** What the 「您已登出」 page reports, kept in a short-lived cookie across the county's logout. */
export interface SignedOutReport {
  apps: string[];
  /** The county whose RP-initiated logout the browser was sent to, and the `state` it echoes. */
  county?: { name: string; state: string };
  /**
   * The relying party whose RP-initiated logout started the sign-out, and its registered
   * post-logout redirect URI (with its `state`): 「您已登出」 offers the way back to it.
   */
  back?: { clientId: string; name: string; url: string };
  /** Google's front-channel logout: still to go through, or done. */
  google?: 'pending' | 'done' | 'none';
  /** The county's RP-initiated logout came back (its `state` matched). */
  countyDone?: boolean;
  /** A county portal whose own sign-out sent the browser here: it goes back there at the end. */
  onward?: string;
}

/** 「您已登出」: what was signed out, or who is still signed in, and the way back to the app. */
export function signedOutMain(
  request: FastifyRequest,
  view: {
    /** The address of an account still signed in (another tab signed in again). */
    signedIn: string | undefined;
    report: SignedOutReport | undefined;
    county: string | undefined;
    back: { name: string; url: string } | undefined;
  },
): SafeHtml {
  const t = request.t;
  const { report, county, back } = view;
  return html`<h1>${t('cloud.signed_out.title')}</h1>
${
  view.signedIn
    ? html`<div class="notice" role="status"><p>${t('cloud.signed_out.still', { email: view.signedIn })}</p></div>`
    : html`<div class="success" role="status"><p>${t('cloud.signed_out.intro')}</p>
<ul id="signed-out-services"><li>${t('cloud.brand')}</li>
${(report?.apps ?? []).map((name) => html`<li>${t('cloud.signed_out.app', { name })}</li>`)}
${county ? html`<li>${county}</li>` : ''}
${report?.google === 'done' ? html`<li>${t('cloud.signed_out.google')}</li>` : ''}</ul></div>
<p>${t('cloud.signed_out.again')}</p>
${back ? html`<p><a class="button" id="signed-out-back" href="${back.url}">${t('cloud.signed_out.back', { name: back.name })}</a></p>` : ''}
`
}
<p><a href="/login">${t('cloud.signed_out.login')}</a></p>`;
}

/** 登入中的裝置: the account's signed-in browsers, each with its sign-out, and 登出其他裝置. */
export function sessionsMain(
  request: FastifyRequest,
  view: {
    rows: readonly BrowserSession[];
    current: string | undefined;
    counties: ReadonlyMap<string, string>;
  },
): SafeHtml {
  const t = request.t;
  const { rows, current, counties } = view;
  const time = (d: Date) => pageTime(request.locale, d);
  return html`<h1>${t('cloud.sessions.title')}</h1>
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
<p><a href="/account">${t('cloud.nav.account')}</a></p>`;
}
