import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import type { AccountRow } from '../provisioning/provision-account.ts';
import { csrfField, portalPage } from '../views.ts';

/** The activation portal's pages (how-to section 三): the portal's home, signed out and signed in. */

/** Signed out: what the portal does, and 登入 with the education cloud. */
export function welcomePage(request: FastifyRequest, workspaceDomain: string): SafeHtml {
  const t = request.t;
  return portalPage(
    request,
    t('ws.home.title'),
    html`<h1>${t('ws.home.title')}</h1><p>${t('ws.home.intro', { domain: workspaceDomain })}</p>
<p><a class="button" id="cloud-login" href="/auth/login">${t('ws.login')}</a></p>`,
    false,
  );
}

export interface AccountView {
  account: AccountRow;
  /** Where the teacher signs in to Google once the account is active. */
  googleSignIn: string;
  /** Whether the teacher administers the portal (a link to its admin page). */
  admin: boolean;
}

/** Signed in: the teacher's cloud account, and the activation's state or its button. */
export function accountPage(request: FastifyRequest, view: AccountView): SafeHtml {
  const t = request.t;
  const { account } = view;
  return portalPage(
    request,
    t('ws.home.title'),
    html`<h1>${t('ws.home.title')}</h1>
<section aria-labelledby="me"><h2 id="me">${t('ws.account.title')}</h2>
<p id="cloud-account">${t('ws.account.cloud', { email: account.cloud_email })}</p>
<p>${t('ws.account.name', { name: account.display_name })}</p>
${account.school_code ? html`<p>${t('ws.account.school', { code: account.school_code })}</p>` : ''}
<p>${t('ws.account.ou', { path: account.org_unit_path })}</p></section>
${activationBlock(request, view)}
${view.admin ? html`<p><a href="/admin">${t('ws.admin.title')}</a></p>` : ''}`,
    true,
  );
}

/** 「啟用 G Suite for Education」, or where the activation is. */
function activationBlock(request: FastifyRequest, { account, googleSignIn }: AccountView): SafeHtml {
  const t = request.t;
  const email = account.google_email;
  const button = html`<form method="post" action="/activate">${csrfField(request)}
<p>${t('ws.activate.will_create', { email })}</p>
<button type="submit" id="activate">${t('ws.activate')}</button></form>`;
  if (account.cloud_state === 'suspended')
    return html`<div class="alert" role="alert"><p>${t('ws.state.suspended')}</p></div>`;
  switch (account.state) {
    case 'active':
      return html`<div class="success" role="status" data-state="active"><p id="google-address">${t('ws.state.active', { email })}</p></div>
<p><a class="button" id="google-signin" href="${googleSignIn}">${t('ws.state.signin')}</a></p>`;
    case 'queued':
      return html`<div class="notice" role="status" data-state="queued"><p>${t('ws.state.queued', { email })}</p>
${account.last_error ? html`<p class="meta">${t('ws.state.retrying')}</p>${googleAnswer(request, account.last_error)}` : ''}</div>`;
    case 'conflict':
      return html`<div class="alert" role="alert" data-state="conflict"><p>${t('ws.state.conflict', { email })}</p></div>`;
    case 'failed':
      return html`<div class="alert" role="alert" data-state="failed"><p>${t('ws.state.failed')}</p>
${account.last_error ? googleAnswer(request, account.last_error) : ''}</div>${button}`;
    default:
      return button;
  }
}

/** Google's answer as it came, in English: data shown as it is, not the page's own words. */
function googleAnswer(request: FastifyRequest, error: string): SafeHtml {
  return html`<p class="meta">${request.t('ws.state.google_answer')} <span lang="en" translate="no">${error}</span></p>`;
}

/** The teacher pressed 拒絕 at the cloud: no failure, a way to sign in again. */
export function cancelledPage(request: FastifyRequest): SafeHtml {
  const t = request.t;
  return portalPage(
    request,
    t('ws.cancelled.title'),
    html`<h1>${t('ws.cancelled.title')}</h1><p role="status">${t('ws.cancelled.body')}</p>
<p><a class="button" href="/auth/login">${t('ws.cancelled.again')}</a></p>`,
    false,
  );
}
