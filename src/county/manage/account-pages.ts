import type { FastifyRequest } from 'fastify';
import type { Selectable } from 'kysely';
import type { PlatformTables } from '../../platform/database/platform-schema.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { LIFECYCLE_REASON_MAX } from '../accounts/lifecycle.ts';
import type { Account } from '../accounts/repository.ts';
import { ACCOUNT_LIFECYCLE } from '../accounts/transitions.ts';
import { ACCOUNT_STATES, type AccountState } from '../schema.ts';
import type { Tenant, Unit } from '../tenants/tenants.ts';
import { auditActionLabel, auditActorLabel } from '../views/audit-labels.ts';
import { csrfField } from '../views/form.ts';
import { formatTime, tenantPath } from '../views/page.ts';

/** The console's account pages: pure views of a search and of one account. */

export const PAGE_SIZE = 50;

export interface AccountSearchView {
  text: string;
  state: AccountState | undefined;
  unitCode: string | undefined;
  pageNo: number;
  /** Up to one more than a page: the extra one says there is a next page. */
  accounts: readonly Account[];
  units: readonly Unit[];
}

export function accountListPage(request: FastifyRequest, tenant: Tenant, view: AccountSearchView): SafeHtml {
  const t = request.t;
  const p = (path: string) => tenantPath(tenant, path);
  const { text, state, unitCode, pageNo, accounts, units } = view;
  const unitName = new Map(units.map((u) => [u.code, u.name]));
  const more = accounts.length > PAGE_SIZE;
  const qs = (page: number) =>
    `?q=${encodeURIComponent(text)}&status=${state ?? ''}&unit=${encodeURIComponent(unitCode ?? '')}&page=${page}`;
  return html`<h1>${t('manage.accounts')}</h1>
<form method="get" action="${p('/manage/accounts')}" role="search" class="filters">
<div class="field"><label for="f-q">${t('manage.accounts.search')}</label><input id="f-q" name="q" type="search" value="${text}" maxlength="64"></div>
<div class="field"><label for="f-status">${t('account.state')}</label><select id="f-status" name="status"><option value="">${t('manage.any')}</option>${ACCOUNT_STATES.map((s) => html`<option value="${s}"${s === state ? html` selected` : ''}>${t(`state.${s}`)}</option>`)}</select></div>
<div class="field"><label for="f-unit">${t('profile.unit')}</label><select id="f-unit" name="unit"><option value="">${t('manage.any')}</option>${units.map((u) => html`<option value="${u.code}"${u.code === unitCode ? html` selected` : ''}>${u.name}</option>`)}</select></div>
<button type="submit">${t('manage.filter')}</button></form>
<table><thead><tr><th scope="col">${t('register.username')}</th><th scope="col">${t('profile.real_name')}</th><th scope="col">${t('profile.unit')}</th><th scope="col">${t('manage.role')}</th><th scope="col">${t('account.state')}</th></tr></thead>
<tbody>${accounts.slice(0, PAGE_SIZE).map((a) => html`<tr><td><a href="${p(`/manage/accounts/${a.id}`)}">${a.username}</a></td><td>${a.real_name ?? ''}</td><td>${unitName.get(a.unit_code ?? '') ?? ''}</td><td>${t(`role.${a.role}`)}</td><td>${t(`state.${a.state}`)}</td></tr>`)}</tbody></table>
<p>${pageNo > 0 ? html`<a href="${p(`/manage/accounts${qs(pageNo - 1)}`)}">${t('manage.prev')}</a> ` : ''}${more ? html`<a href="${p(`/manage/accounts${qs(pageNo + 1)}`)}">${t('manage.next')}</a>` : ''}</p>`;
}

export interface AccountView {
  account: Account;
  /** The active units (the transfer choices). */
  units: readonly Unit[];
  maskedNationalId: string | null;
  history: readonly Selectable<PlatformTables['audit_log']>[];
}

export function accountDetailPage(request: FastifyRequest, tenant: Tenant, view: AccountView): SafeHtml {
  const t = request.t;
  const p = (path: string) => tenantPath(tenant, path);
  const { account, units } = view;
  const unit = units.find((u) => u.code === account.unit_code);
  const action = (
    path: string,
    label: string,
    cls: string,
    reasonLabel: string,
  ) => html`<form method="post" action="${p(`/manage/accounts/${account.id}/${path}`)}" class="panel">${csrfField(request)}
<div class="field"><label for="r-${path}">${reasonLabel}</label><input id="r-${path}" name="reason" type="text" maxlength="${LIFECYCLE_REASON_MAX}" required></div>
<button type="submit" class="${cls}">${label}</button></form>`;
  return html`<h1>${account.username}</h1>
<dl><dt>${t('profile.real_name')}</dt><dd>${account.real_name ?? '-'}</dd>
<dt>${t('register.email')}</dt><dd>${account.email}</dd>
<dt>${t('profile.national_id')}</dt><dd>${view.maskedNationalId ?? '-'}</dd>
<dt>${t('profile.unit')}</dt><dd>${unit?.name ?? account.unit_code ?? '-'}</dd>
<dt>${t('manage.role')}</dt><dd>${t(`role.${account.role}`)}</dd>
<dt>${t('account.state')}</dt><dd>${t(`state.${account.state}`)}${account.state_reason ? html`（${account.suspended_by_campaign ? t('manage.state_reason.campaign') : ''}<span translate="no">${account.state_reason}</span>）` : ''}</dd>
<dt>${t('manage.created')}</dt><dd>${formatTime(account.created_at)}</dd>
<dt>${t('account.last_login')}</dt><dd>${formatTime(account.last_login_at)}</dd></dl>
<h2>${t('manage.actions')}</h2>
${ACCOUNT_LIFECYCLE.allows(account.state, 'suspend') ? action('suspend', t('manage.suspend'), 'danger', t('manage.reason')) : ''}
${ACCOUNT_LIFECYCLE.allows(account.state, 'reactivate') ? action('reactivate', t('manage.reactivate'), '', t('manage.reason')) : ''}
${ACCOUNT_LIFECYCLE.allows(account.state, 'depart') ? action('depart', t('manage.depart'), 'danger', t('manage.depart.reason')) : ''}
${
  account.state === 'active' || account.state === 'suspended'
    ? html`<form method="post" action="${p(`/manage/accounts/${account.id}/transfer`)}" class="panel">${csrfField(request)}
<div class="field"><label for="f-to">${t('manage.transfer.to')}</label><select id="f-to" name="unit">${units.filter((u) => u.code !== account.unit_code).map((u) => html`<option value="${u.code}">${u.name}（${u.code}）</option>`)}</select></div>
<button type="submit">${t('manage.transfer')}</button></form>`
    : ''
}
${
  account.role !== 'county_admin'
    ? html`<form method="post" action="${p(`/manage/accounts/${account.id}/role`)}" class="panel">${csrfField(request)}
<input type="hidden" name="role" value="${account.role === 'reviewer' ? 'teacher' : 'reviewer'}">
<button type="submit" class="secondary">${account.role === 'reviewer' ? t('manage.role.to_teacher') : t('manage.role.to_reviewer')}</button></form>`
    : ''
}
<h2>${t('manage.history')}</h2>
<table><thead><tr><th scope="col">${t('audit.at')}</th><th scope="col">${t('audit.actor')}</th><th scope="col">${t('audit.action')}</th><th scope="col">${t('audit.ip')}</th></tr></thead>
<tbody>${view.history.map((e) => html`<tr><td>${formatTime(e.at)}</td><td>${auditActorLabel(t, e.actor)}</td><td>${auditActionLabel(t, e.action)}</td><td>${e.ip ?? ''}</td></tr>`)}</tbody></table>`;
}
