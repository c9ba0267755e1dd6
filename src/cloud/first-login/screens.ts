import type { FastifyReply, FastifyRequest } from 'fastify';
import { CLOUD_ACCOUNT_NAME_PATTERN } from '../../identity/index.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import type { CloudAccount } from '../account/accounts.ts';
import { csrfField, sendCloudPage, violations } from '../views.ts';
import { flowUrl, personName } from './flow-access.ts';
import type { LoginFlow } from './flows.ts';

/** The six scopes of the cloud with their consent lines, in the how-to's order. */
export const CLOUD_CONSENT_SCOPES = [
  'profile',
  'email',
  'openid',
  'openid2',
  'eduinfo',
  'educloudroles',
] as const;

function flowField(flow: LoginFlow): SafeHtml {
  return html`<input type="hidden" name="flow" value="${flow.id}">`;
}

function domainOf(request: FastifyRequest): string {
  return `@${request.server.cloud.ctx.config.cloudMailDomain}`;
}

export function noAccountScreen(request: FastifyRequest, reply: FastifyReply, flow: LoginFlow) {
  const t = request.t;
  return sendCloudPage(request, reply, {
    title: t('cloud.first.no_account.title'),
    main: html`<h1>${t('cloud.first.no_account.title')}</h1>
<p>${t('cloud.first.no_account.body', { name: personName(flow) })}</p>
<form method="post" action="/first-login/create">${csrfField(request)}${flowField(flow)}
<button type="submit">${t('cloud.first.no_account.create')}</button></form>
<p><a href="${flowUrl(flow, '/first-login/link-existing')}">${t('cloud.first.no_account.have_one')}</a></p>`,
  });
}

export function suggestedNameScreen(
  request: FastifyRequest,
  reply: FastifyReply,
  flow: LoginFlow,
  suggestion: string | undefined,
) {
  const t = request.t;
  if (!suggestion)
    return chooseNameScreen(request, reply, flow, { value: '', problems: ['cloud.first.name.none'] });
  return sendCloudPage(request, reply, {
    title: t('cloud.first.name.title'),
    main: html`<h1>${t('cloud.first.name.title')}</h1>
<form method="post" action="/first-login/name">${csrfField(request)}${flowField(flow)}
<input type="hidden" name="name" value="${suggestion}">
<p class="account-name"><strong id="suggested-name">${suggestion}</strong>${domainOf(request)}</p>
<p class="hint">${t('cloud.first.name.rules')}</p>
<p><a href="${flowUrl(flow, '/first-login/choose')}">${t('cloud.first.name.dislike')}</a></p>
<p><button type="submit">${t('cloud.first.name.next')}</button></p>
</form>`,
  });
}

export function chooseNameScreen(
  request: FastifyRequest,
  reply: FastifyReply,
  flow: LoginFlow,
  options: { value: string; problems: string[]; suggestions?: string[]; status?: number },
) {
  const t = request.t;
  const invalid = options.problems.length > 0 && options.value !== '';
  return sendCloudPage(request, reply, {
    title: t('cloud.first.name.choose_title'),
    status: options.status,
    scripts: ['/assets/cloud/name-check.js'],
    main: html`<h1>${t('cloud.first.name.choose_title')}</h1>
${violations(request, options.problems)}
<form method="post" action="/first-login/name" id="choose-name">${csrfField(request)}${flowField(flow)}
<p><label for="name">${t('cloud.first.name.label')}</label>
<input type="text" id="name" name="name" value="${options.value}" required minlength="6" maxlength="20"
 pattern="${CLOUD_ACCOUNT_NAME_PATTERN}" autocomplete="off" autocapitalize="none" spellcheck="false"
 aria-describedby="name-rules name-status" ${invalid ? html`aria-invalid="true"` : ''}
 data-check-url="${flowUrl(flow, '/first-login/name-check')}" data-checking="${t('cloud.first.name.checking')}">${domainOf(request)}</p>
<p class="hint" id="name-rules">${t('cloud.first.name.rules')}</p>
<p id="name-status" role="status" aria-live="polite"></p>
${
  options.suggestions && options.suggestions.length > 0
    ? html`<p id="suggestions-label">${t('cloud.first.name.suggestions')}</p>
<ul class="suggestions" aria-labelledby="suggestions-label">${options.suggestions.map(
        (s) =>
          html`<li><button type="button" class="secondary" data-name="${s}" translate="no">${s}</button></li>`,
      )}</ul>`
    : ''
}
<p><button type="submit">${t('cloud.first.name.next')}</button></p>
</form>`,
  });
}

export function passwordScreen(
  request: FastifyRequest,
  reply: FastifyReply,
  flow: LoginFlow,
  options: { problems: string[]; email?: string; status?: number },
) {
  const t = request.t;
  return sendCloudPage(request, reply, {
    title: t('cloud.first.password.title'),
    status: options.status,
    main: html`<h1>${t('cloud.first.password.title')}</h1>
${violations(request, options.problems)}
<form method="post" action="/first-login/password">${csrfField(request)}${flowField(flow)}
<p class="account-name"><strong>${flow.chosenName ?? ''}</strong>${domainOf(request)}</p>
<input type="text" name="username" value="${flow.chosenName ?? ''}" autocomplete="username" hidden>
<p><label for="password">${t('cloud.first.password.password')}</label>
<input type="password" id="password" name="password" autocomplete="new-password" required aria-describedby="password-hint"></p>
<p><label for="password_confirm">${t('cloud.first.password.confirm')}</label>
<input type="password" id="password_confirm" name="password_confirm" autocomplete="new-password" required></p>
<p class="hint" id="password-hint">${t('cloud.first.password.hint')}</p>
<p><label for="email">${t('cloud.first.password.email')}</label>
<input type="email" id="email" name="email" autocomplete="email" value="${options.email ?? ''}"></p>
<p><label for="email_confirm">${t('cloud.first.password.email_confirm')}</label>
<input type="email" id="email_confirm" name="email_confirm" autocomplete="email"></p>
<p><button type="submit">${t('cloud.first.password.submit')}</button></p>
</form>
<form method="post" action="/first-login/back">${csrfField(request)}${flowField(flow)}
<button type="submit" class="secondary">${t('cloud.first.password.back')}</button></form>`,
  });
}

export function consentScreen(request: FastifyRequest, reply: FastifyReply, flow: LoginFlow) {
  const t = request.t;
  return sendCloudPage(request, reply, {
    title: t('cloud.first.consent.title'),
    main: html`<h1>${t('cloud.first.consent.title')}</h1>
<p>${t('cloud.first.consent.intro')}</p>
<ol class="scopes">${CLOUD_CONSENT_SCOPES.map((s) => html`<li>${t(`cloud.scope.${s}`)}</li>`)}</ol>
<form method="post" action="/first-login/consent">${csrfField(request)}${flowField(flow)}
<button type="submit" name="decision" value="accept">${t('cloud.first.consent.accept')}</button>
<button type="submit" name="decision" value="decline" class="secondary">${t('cloud.first.consent.decline')}</button>
</form>`,
  });
}

export function doneScreen(
  request: FastifyRequest,
  reply: FastifyReply,
  flow: LoginFlow,
  account: CloudAccount,
) {
  const t = request.t;
  const email = request.server.cloud.emailOf(account);
  return sendCloudPage(request, reply, {
    title: t('cloud.first.done.title'),
    account,
    main: html`<h1>${t('cloud.first.done.title')}</h1>
<div class="success" role="status"><p>${t('cloud.first.done.body', { email })}</p>
<p class="account-name"><strong id="cloud-email">${email}</strong></p></div>
${account.pendingBackupEmail ? html`<p>${t('cloud.first.done.email_sent', { email: account.pendingBackupEmail })}</p>` : ''}
<p><a class="button" href="${flow.returnTo ?? '/account'}">${t('cloud.first.done.continue')}</a></p>`,
  });
}

/**
 * Linking the county identity to a cloud account. When the person's national ID matched an account
 * (`matched`), the page asks for that account's password without naming the account or telling
 * anything about it: someone who typed another person's national ID at the county learns only that
 * the number has a cloud account, and needs its password to go further.
 */
export function linkScreen(
  request: FastifyRequest,
  reply: FastifyReply,
  flow: LoginFlow,
  options: { countyName: string; matched?: boolean; error?: string; name?: string; status?: number },
) {
  const t = request.t;
  const county = options.countyName;
  return sendCloudPage(request, reply, {
    title: t('cloud.link.title'),
    status: options.status,
    main: html`<h1>${t('cloud.link.title')}</h1>
<p>${options.matched ? t('cloud.link.found', { county }) : t('cloud.link.manual', { county })}</p>
${options.error ? html`<div class="alert" role="alert"><p>${options.error}</p></div>` : ''}
<form method="post" action="/first-login/link">${csrfField(request)}${flowField(flow)}
${
  options.matched
    ? ''
    : html`<p><label for="name">${t('cloud.login.name')}</label>
<input type="text" id="name" name="name" autocomplete="username" autocapitalize="none" required value="${options.name ?? ''}"></p>`
}
<p><label for="password">${t('cloud.login.password')}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required></p>
<p><button type="submit">${t('cloud.link.submit')}</button></p>
</form>
${options.matched ? html`<p class="hint">${t('cloud.link.found_help')}</p>` : ''}`,
  });
}
