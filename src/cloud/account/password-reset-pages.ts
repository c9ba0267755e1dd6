import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { csrfField, violations } from '../views.ts';

/** The forgotten-password pages: ask for the link (or recover through a county), then a new password. */

/** 忘記密碼: the account name for a reset link, or a fresh county sign-in. */
export function forgotMain(
  request: FastifyRequest,
  counties: ReadonlyArray<{ code: string; name: string }>,
): SafeHtml {
  const t = request.t;
  // A fresh county sign-in (reauth) proves the person; the account page then takes a new
  // password without the forgotten one.
  const recover = (code: string) =>
    `/login/county/${encodeURIComponent(code)}?reauth=1&return_to=${encodeURIComponent('/account#password')}`;
  return html`<h1>${t('cloud.forgot.title')}</h1>
<p>${t('cloud.forgot.intro')}</p>
<form method="post" action="/password/forgot">${csrfField(request)}
<p><label for="name">${t('cloud.login.name')}</label>
<input type="text" id="name" name="name" autocomplete="username" autocapitalize="none" required></p>
<p><button type="submit">${t('cloud.forgot.submit')}</button></p></form>
${
  counties.length > 0
    ? html`<section aria-labelledby="recover-county"><h2 id="recover-county">${t('cloud.forgot.county_heading')}</h2>
<p>${t('cloud.forgot.county_intro')}</p>
<ul class="counties">${counties.map((c) => html`<li><a class="button secondary" href="${recover(c.code)}">${t('cloud.forgot.county_link', { county: c.name })}</a></li>`)}</ul></section>`
    : ''
}`;
}

/** The same answer whether or not the account exists or has a backup email. */
export function forgotSentMain(request: FastifyRequest): SafeHtml {
  const t = request.t;
  return html`<h1>${t('cloud.forgot.title')}</h1><div class="notice" role="status"><p>${t('cloud.forgot.sent')}</p></div>`;
}

/** The reset link's form: the new password, twice. */
export function resetMain(request: FastifyRequest, token: string, problems: string[]): SafeHtml {
  const t = request.t;
  return html`<h1>${t('cloud.reset.title')}</h1>
${violations(request, problems)}
<form method="post" action="/password/reset">${csrfField(request)}
<input type="hidden" name="token" value="${token}">
<p><label for="password">${t('cloud.account.password_new')}</label>
<input type="password" id="password" name="password" autocomplete="new-password" required></p>
<p><label for="password_confirm">${t('cloud.account.password_confirm')}</label>
<input type="password" id="password_confirm" name="password_confirm" autocomplete="new-password" required></p>
<p><button type="submit">${t('cloud.reset.submit')}</button></p></form>`;
}
