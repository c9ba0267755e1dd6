import type { FastifyRequest } from 'fastify';
import type { Challenge } from '../../platform/security/proof-of-work.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { proofOfWorkField } from '../../platform/views/proof-of-work.ts';
import { csrfField, notice } from '../views.ts';

export interface LoginView {
  returnTo: string;
  /** A client asked for a fresh sign-in: the county links ask the county for one too. */
  reauth?: boolean | undefined;
  /** The name as typed. */
  name?: string | undefined;
  /** Why the last attempt was refused, localized. */
  error?: string | undefined;
  /** The proof of work to solve before the password is checked, when one is needed. */
  challenge?: Challenge | undefined;
  /** The address domain of cloud accounts (`@mail.edu.tw`). */
  domain: string;
  counties: ReadonlyArray<{ code: string; name: string }>;
}

/** The cloud login page: cloud account + password, or 「縣市帳號登入」 with the county list. */
export function loginMain(request: FastifyRequest, view: LoginView): SafeHtml {
  const t = request.t;
  const { counties, challenge } = view;
  const countyHref = (code: string) =>
    `/login/county/${encodeURIComponent(code)}?return_to=${encodeURIComponent(view.returnTo)}${view.reauth ? '&reauth=1' : ''}`;
  return html`<h1>${t('cloud.login.title')}</h1>
${notice(request, ['cloud.logout.done', 'cloud.reset.done'])}
${view.error ? html`<div class="alert" role="alert"><p>${view.error}</p></div>` : ''}
<section aria-labelledby="cloud-login">
<h2 id="cloud-login">${t('cloud.login.cloud_heading')}</h2>
<form method="post" action="/login">
${csrfField(request)}
<input type="hidden" name="return_to" value="${view.returnTo}">
<p><label for="name">${t('cloud.login.name')}</label>
<input type="text" id="name" name="name" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${view.name ?? ''}" aria-describedby="name-hint">
<span class="hint" id="name-hint">${t('cloud.login.name_hint', { domain: `@${view.domain}` })}</span></p>
<p><label for="password">${t('cloud.login.password')}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required></p>
${challenge ? proofOfWorkField(t, challenge) : ''}
<p><button type="submit">${t('cloud.login.submit')}</button> <a href="/password/forgot">${t('cloud.login.forgot')}</a></p>
</form>
</section>
<section aria-labelledby="county-login">
<h2 id="county-login">${t('cloud.login.county_heading')}</h2>
<p>${t('cloud.login.county_intro')}</p>
${
  counties.length === 0
    ? html`<p>${t('cloud.login.county_none')}</p>`
    : html`<ul class="counties">${counties.map(
        (c) => html`<li><a class="button secondary" href="${countyHref(c.code)}">${c.name}</a></li>`,
      )}</ul>`
}
</section>`;
}
