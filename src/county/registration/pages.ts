import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { CONTENT_LANG, renderMarkdown } from '../content/markdown.ts';
import type { HelpPage } from '../content/pages.ts';
import type { RegistrationState } from '../schema.ts';
import type { Tenant, Unit } from '../tenants/tenants.ts';
import { csrfField, errorSummary, field } from '../views/form.ts';
import { countyPage, headedPage, tenantPath } from '../views/page.ts';
import { canVisit, type RegistrationFlow } from './flow.ts';
import { MAX_EMAIL } from './rules.ts';

/** The registration's pages (how-to 一): pure views of a flow, its values and its field errors. */

export type Messages = Record<string, string | undefined>;
export type FormStep = Exclude<RegistrationState, 'submitted'>;

export const STEP_PATHS: Record<FormStep, string> = {
  credentials: '/register/credentials',
  email: '/register/email',
  terms: '/register/terms',
  unit: '/register/unit',
};

function stepNav(
  request: FastifyRequest,
  tenant: Tenant,
  current: RegistrationState,
  flow: RegistrationFlow,
) {
  const t = request.t;
  const steps = Object.keys(STEP_PATHS) as FormStep[];
  return html`<nav aria-label="${t('register.steps')}"><ol class="steps">${steps.map((step, i) => {
    const label = t(`register.step${i + 1}.short`);
    if (step === current) return html`<li aria-current="step"><strong>${label}</strong></li>`;
    return canVisit(flow, step)
      ? html`<li><a href="${tenantPath(tenant, STEP_PATHS[step])}">${label}</a></li>`
      : html`<li>${label}</li>`;
  })}</ol></nav>`;
}

/** One step of the form: the step list, the error summary and the step's form. */
export function stepPage(
  request: FastifyRequest,
  tenant: Tenant,
  flow: RegistrationFlow,
  step: RegistrationState,
  body: SafeHtml,
  errors: Messages,
): SafeHtml {
  return headedPage(
    request,
    tenant,
    'register.title',
    html`${stepNav(request, tenant, step, flow)}
${errorSummary(request, errors)}${body}`,
  );
}

// The terms page (使用者注意事項): 「我要申請本站帳號」 starts a flow, 「暫不申請」 goes home.
export function noticePage(request: FastifyRequest, tenant: Tenant, notice: HelpPage): SafeHtml {
  const t = request.t;
  return countyPage(request, tenant, {
    title: notice.title,
    main: html`<h1 lang="${CONTENT_LANG}">${notice.title}</h1>
<div class="terms" tabindex="0" role="region" aria-label="${notice.title}" lang="${CONTENT_LANG}">${renderMarkdown(notice.body_markdown)}</div>
<p>${t('register.intro.agree')}</p>
<ul class="choices">
<li><form method="post" action="${tenantPath(tenant, '/register/start')}" class="inline">${csrfField(request)}<button type="submit">${t('register.intro.start')}</button></form></li>
<li><a href="${tenantPath(tenant, '')}">${t('register.intro.later')}</a></li>
</ul>`,
  });
}

// Step 1: username and password.
export function credentialsForm(
  request: FastifyRequest,
  tenant: Tenant,
  flow: RegistrationFlow,
  values: { username: string },
  errors: Messages,
): SafeHtml {
  const t = request.t;
  return html`<form method="post" action="${tenantPath(tenant, STEP_PATHS.credentials)}" novalidate>${csrfField(request)}
<h2>${t('register.step1.title')}</h2>
<div class="notice"><p>${t('register.step1.warn_id')}</p><p>${t('register.step1.warn_unit')}</p></div>
${field({ name: 'username', label: t('register.username'), value: values.username, error: errors.username, required: true, autocomplete: 'username', hint: t('register.username.hint'), maxlength: 64 })}
${field({ name: 'password', label: t('register.password'), type: 'password', error: errors.password, required: !flow.password_hash, autocomplete: 'new-password', hint: flow.password_hash ? t('register.password.keep') : t('register.password.hint') })}
${field({ name: 'password_confirm', label: t('register.password_confirm'), type: 'password', error: errors.password_confirm, required: !flow.password_hash, autocomplete: 'new-password' })}
<button type="submit">${t('register.next')}</button></form>`;
}

// Step 2: the personal email.
export function emailForm(
  request: FastifyRequest,
  tenant: Tenant,
  values: { email: string },
  errors: Messages,
): SafeHtml {
  const t = request.t;
  return html`<form method="post" action="${tenantPath(tenant, STEP_PATHS.email)}" novalidate>${csrfField(request)}
<h2>${t('register.step2.title')}</h2>
${field({ name: 'email', label: t('register.email'), type: 'email', value: values.email, error: errors.email, required: true, autocomplete: 'email', maxlength: MAX_EMAIL, hint: t('register.email.hint') })}
<p class="hint">${t('register.email.once')}</p>
<button type="submit">${t('register.next')}</button></form>`;
}

// Step 3: the terms shown again and accepted (the version and time are recorded).
export function termsForm(
  request: FastifyRequest,
  tenant: Tenant,
  terms: HelpPage,
  errors: Messages,
): SafeHtml {
  const t = request.t;
  return html`<form method="post" action="${tenantPath(tenant, STEP_PATHS.terms)}" novalidate>${csrfField(request)}
<h2>${t('register.step3.title')}</h2>
<input type="hidden" name="version" value="${terms.version}">
<div class="terms" tabindex="0" role="region" aria-label="${terms.title}" lang="${CONTENT_LANG}">${renderMarkdown(terms.body_markdown)}</div>
<div class="field"><label><input type="checkbox" id="f-accept" name="accept" value="yes"${errors.accept ? html` aria-invalid="true" aria-describedby="f-accept-error"` : ''}> ${t('register.terms.accept')}</label>
${errors.accept ? html`<p class="field-error" id="f-accept-error">${errors.accept}</p>` : ''}</div>
<button type="submit">${t('register.next')}</button></form>`;
}

// Step 4: the reviewing unit's official mailbox (pick the unit by searching its name or code).
export function unitForm(
  request: FastifyRequest,
  tenant: Tenant,
  values: { mailbox: string; q: string; results: readonly Unit[] },
  errors: Messages,
): SafeHtml {
  const t = request.t;
  const p = (path: string) => tenantPath(tenant, path);
  const { q, results } = values;
  return html`<h2>${t('register.step4.title')}</h2>
<p>${t('register.unit.only', { county: tenant.name })}</p>
<form method="get" action="${p(STEP_PATHS.unit)}" role="search" class="unit-search">
<div class="field"><label for="f-q">${t('register.unit.search')}</label>
<input id="f-q" name="q" type="search" value="${q}" maxlength="50"></div>
<button type="submit" class="secondary">${t('register.unit.search.go')}</button></form>
${
  q
    ? results.length === 0
      ? html`<p role="status">${t('register.unit.search.none')}</p>`
      : html`<div role="status"><ul class="unit-results" aria-label="${t('register.unit.search.results')}">${results.map(
          (u) =>
            html`<li><a href="${p(`${STEP_PATHS.unit}?pick=${encodeURIComponent(u.code)}`)}">${u.name}（${u.code}）→ ${u.mailbox}</a></li>`,
        )}</ul></div>`
    : ''
}
<form method="post" action="${p(STEP_PATHS.unit)}" novalidate>${csrfField(request)}
${field({ name: 'mailbox', label: t('register.mailbox'), type: 'email', value: values.mailbox, error: errors.mailbox, required: true, maxlength: MAX_EMAIL, hint: t('register.mailbox.hint', { domain: tenant.mail_domain }) })}
<button type="submit">${t('register.submit')}</button></form>`;
}

export function donePage(
  request: FastifyRequest,
  tenant: Tenant,
  email: string,
  unit: Unit | undefined,
): SafeHtml {
  const t = request.t;
  return headedPage(
    request,
    tenant,
    'register.done.title',
    html`
<div class="success" role="status"><p>${t('register.done.body', { email, unit: unit?.name ?? '' })}</p></div>
<ol><li>${t('register.done.next1')}</li><li>${t('register.done.next2', { unit: unit?.name ?? '' })}</li><li>${t('register.done.next3')}</li></ol>
<p><a href="${tenantPath(tenant, '')}">${t('layout.home')}</a></p>`,
  );
}

// The verification link of step 2: a page with a button, so that mail scanners opening links
// do not verify on their own.
export function verifyPage(request: FastifyRequest, tenant: Tenant, token: string): SafeHtml {
  const t = request.t;
  return headedPage(
    request,
    tenant,
    'verify.title',
    html`<p>${t('verify.body')}</p>
<form method="post" action="${tenantPath(tenant, '/register/verify')}">${csrfField(request)}<input type="hidden" name="token" value="${token}">
<button type="submit">${t('verify.submit')}</button></form>`,
  );
}

export function verifiedPage(request: FastifyRequest, tenant: Tenant, unit: Unit | undefined): SafeHtml {
  const t = request.t;
  return headedPage(
    request,
    tenant,
    'verify.done.title',
    html`
<div class="success" role="status"><p>${t('verify.done.body', { unit: unit?.name ?? '', mailbox: unit?.mailbox ?? '' })}</p></div>
<p><a href="${tenantPath(tenant, '')}">${t('layout.home')}</a></p>`,
  );
}
