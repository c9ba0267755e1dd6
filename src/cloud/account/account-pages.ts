import type { FastifyRequest } from 'fastify';
import { pageTime } from '../../platform/i18n/time.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { csrfField, notice, violations } from '../views.ts';
import type { CloudAccount, LinkedIdentity } from './accounts.ts';

/** The account page (帳號資訊) and the pages of its actions. */

const NOTICES = [
  'cloud.account.backup_verified',
  'cloud.account.unlinked',
  'cloud.account.password_changed',
  'cloud.account.revoked',
  'cloud.admin.saved',
];

export interface AccountView {
  account: CloudAccount;
  /** The account's address (`name@mail.edu.tw`). */
  email: string;
  identities: readonly LinkedIdentity[];
  /** County names by code. */
  counties: ReadonlyMap<string, string>;
  /** The applications the person authorized. */
  apps: ReadonlyArray<{ clientId: string; name: string; scopes: readonly string[] }>;
  /** A county sign-in just proved the person: a new password without the current one. */
  recovering: boolean;
  /** What the last action did, shown at the top. */
  message?: string | undefined;
  passwordProblems?: string[] | undefined;
  emailProblems?: string[] | undefined;
}

/** The account, linked county identities, authorized applications, password, backup email. */
export function accountMain(request: FastifyRequest, view: AccountView): SafeHtml {
  const t = request.t;
  const { account, identities, counties, apps, recovering } = view;
  const canUnlink = account.hasPassword || identities.length > 1;
  return html`<h1>${t('cloud.account.title')}</h1>
${notice(request, NOTICES)}
${view.message ? html`<div class="notice" role="status"><p>${view.message}</p></div>` : ''}
<dl>
<dt>${t('cloud.account.email')}</dt><dd><strong id="cloud-email">${view.email}</strong></dd>
<dt>${t('cloud.account.name')}</dt><dd>${account.displayName}</dd>
<dt>${t('cloud.account.backup_email')}</dt><dd>${
    account.backupEmail ??
    (account.pendingBackupEmail
      ? t('cloud.account.backup_pending', { email: account.pendingBackupEmail })
      : t('cloud.account.backup_none'))
  }</dd>
</dl>

<h2 id="identities">${t('cloud.account.identities')}</h2>
${
  identities.length === 0
    ? html`<p>${t('cloud.account.no_identities')}</p>`
    : html`<ul aria-labelledby="identities">${identities.map(
        (i) => html`<li>${t('cloud.account.identity_row', {
          county: counties.get(i.countyCode) ?? i.countyCode,
          username: i.snapshot.username ?? i.subject,
        })}
<span class="meta">${t('cloud.account.last_login', { time: pageTime(request.locale, i.lastLoginAt) })}</span>
${i.snapshot.schoolid ? html`<span class="meta">${i.snapshot.schoolid} ${i.snapshot.titles.flatMap((x) => x.titles).join('、')}</span>` : ''}
${
  canUnlink
    ? html`<form method="post" action="/account/identities/${i.id}/unlink" class="inline">${csrfField(request)}
<button type="submit" class="secondary">${t('cloud.account.unlink')}</button></form>`
    : ''
}</li>`,
      )}</ul>`
}

<h2 id="apps">${t('cloud.account.apps')}</h2>
${
  apps.length === 0
    ? html`<p>${t('cloud.account.no_apps')}</p>`
    : html`<ul aria-labelledby="apps">${apps.map(
        (
          a,
        ) => html`<li><strong>${a.name}</strong> <span class="meta">${a.scopes.map((s) => t(`cloud.scope.${s}`)).join('、')}</span>
<form method="post" action="/account/apps/revoke" class="inline">${csrfField(request)}
<input type="hidden" name="client_id" value="${a.clientId}">
<button type="submit" class="secondary">${t('cloud.account.revoke')}</button></form></li>`,
      )}</ul>`
}

<p><a href="/account/sessions">${t('cloud.sessions.title')}</a></p>

<h2 id="password">${t('cloud.account.password')}</h2>
${violations(request, view.passwordProblems ?? [])}
<form method="post" action="/account/password">${csrfField(request)}
<input type="text" name="username" value="${account.name}" autocomplete="username" hidden>
${recovering ? html`<p class="notice">${t('cloud.account.password_recover')}</p>` : ''}
${
  account.hasPassword && !recovering
    ? html`<p><label for="current">${t('cloud.account.password_current')}</label>
<input type="password" id="current" name="current" autocomplete="current-password" required></p>`
    : ''
}
<p><label for="new-password">${t('cloud.account.password_new')}</label>
<input type="password" id="new-password" name="password" autocomplete="new-password" required></p>
<p><label for="new-password-confirm">${t('cloud.account.password_confirm')}</label>
<input type="password" id="new-password-confirm" name="password_confirm" autocomplete="new-password" required></p>
<p><button type="submit">${t('cloud.account.password_submit')}</button></p></form>

<h2 id="backup">${t('cloud.account.backup_change')}</h2>
${violations(request, view.emailProblems ?? [])}
<form method="post" action="/account/backup-email">${csrfField(request)}
<p><label for="email">${t('cloud.first.password.email')}</label>
<input type="email" id="email" name="email" autocomplete="email" required></p>
<p><label for="email_confirm">${t('cloud.first.password.email_confirm')}</label>
<input type="email" id="email_confirm" name="email_confirm" autocomplete="email" required></p>
<p><button type="submit">${t('cloud.account.backup_change')}</button></p></form>`;
}

/** Unlinking the only county account changes how the person signs in: confirmed first. */
export function unlinkConfirmMain(
  request: FastifyRequest,
  view: { identity: LinkedIdentity; county: string; email: string },
): SafeHtml {
  const t = request.t;
  const { identity } = view;
  return html`<h1>${t('cloud.account.unlink_confirm.title')}</h1>
<div class="notice" role="alert"><p>${t('cloud.account.unlink_confirm.body', {
    county: view.county,
    username: identity.snapshot.username ?? identity.subject,
    email: view.email,
  })}</p></div>
<form method="post" action="/account/identities/${identity.id}/unlink" class="inline">${csrfField(request)}
<input type="hidden" name="confirm" value="yes">
<button type="submit">${t('cloud.account.unlink_confirm.yes')}</button></form>
<a class="button secondary" href="/account#identities">${t('cloud.account.unlink_confirm.no')}</a>`;
}

/** The backup email confirmed, for a link opened in a mail program or another browser. */
export function backupVerifiedMain(request: FastifyRequest, email: string): SafeHtml {
  const t = request.t;
  return html`<h1>${t('cloud.account.backup_verified')}</h1>
<div class="success" role="status"><p>${t('cloud.account.backup_verified_for', { email })}</p></div>
<p><a href="/login">${t('cloud.nav.login')}</a></p>`;
}
