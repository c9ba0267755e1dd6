import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import type { Account } from '../accounts/repository.ts';
import type { Tenant, Unit, UnitInput } from '../tenants/tenants.ts';
import { csrfField, errorSummary, field, textarea } from '../views/form.ts';
import { tenantPath } from '../views/page.ts';

/** The console's unit and reviewer pages: pure views of the lists, the values and the field errors. */

type Messages = Record<string, string | undefined>;

function unitFields(
  request: FastifyRequest,
  tenant: Tenant,
  v: Partial<UnitInput>,
  errors: Messages,
  editing: boolean,
) {
  const t = request.t;
  return html`${editing ? html`<input type="hidden" name="code" value="${v.code ?? ''}">` : field({ name: 'code', label: t('unit.code'), value: v.code, error: errors.code, required: true, maxlength: 8 })}
${field({ name: 'name', label: t('unit.name'), value: v.name, error: errors.name, required: true, maxlength: 100 })}
${field({ name: 'abbreviation', label: t('unit.abbreviation'), value: v.abbreviation ?? '', error: errors.abbreviation, maxlength: 30 })}
${field({ name: 'mailbox', label: t('unit.mailbox'), type: 'email', value: v.mailbox, error: errors.mailbox, required: true, hint: t('register.mailbox.hint', { domain: tenant.mail_domain }) })}
${editing ? html`<div class="field"><label><input type="checkbox" name="active" value="yes"${v.active ? html` checked` : ''}> ${t('manage.unit.active')}</label></div>` : ''}`;
}

export function unitListPage(
  request: FastifyRequest,
  tenant: Tenant,
  units: readonly Unit[],
  form: { values: Partial<UnitInput>; errors: Messages },
  importResult: { problems?: readonly string[]; notice?: string } = {},
): SafeHtml {
  const t = request.t;
  const p = (path: string) => tenantPath(tenant, path);
  const { problems = [], notice } = importResult;
  return html`<h1>${t('manage.units')}</h1>
${notice ? html`<div class="success" role="status"><p>${notice}</p></div>` : ''}
<table><thead><tr><th scope="col">${t('unit.code')}</th><th scope="col">${t('unit.name')}</th><th scope="col">${t('unit.abbreviation')}</th><th scope="col">${t('unit.mailbox')}</th><th scope="col">${t('manage.unit.active')}</th></tr></thead>
<tbody>${units.map((u) => html`<tr><td><a href="${p(`/manage/units/${encodeURIComponent(u.code)}`)}">${u.code}</a></td><td>${u.name}</td><td>${u.abbreviation ?? ''}</td><td>${u.mailbox}</td><td>${u.active ? t('manage.yes') : t('manage.no')}</td></tr>`)}</tbody></table>
<p><a href="${p('/manage/units.csv')}" download>${t('manage.units.export')}</a></p>
<section class="panel" aria-labelledby="unit-new"><h2 id="unit-new">${t('manage.units.create')}</h2>${errorSummary(request, form.errors)}
<form method="post" action="${p('/manage/units')}" novalidate>${csrfField(request)}${unitFields(request, tenant, form.values, form.errors, false)}<button type="submit">${t('manage.create')}</button></form></section>
<section class="panel" aria-labelledby="unit-import"><h2 id="unit-import">${t('manage.units.import')}</h2>
<p class="hint">${t('manage.units.import.hint')}</p>
${problems.length > 0 ? html`<div class="alert" role="alert"><p>${t('manage.units.import.failed')}</p><ul>${problems.map((e) => html`<li>${e}</li>`)}</ul></div>` : ''}
<form method="post" action="${p('/manage/units/import')}" novalidate>${csrfField(request)}${textarea({ name: 'csv', label: t('manage.units.import.csv'), rows: 8 })}<button type="submit">${t('manage.import')}</button></form></section>`;
}

export function unitEditPage(
  request: FastifyRequest,
  tenant: Tenant,
  v: UnitInput,
  errors: Messages,
): SafeHtml {
  return html`<h1>${request.t('manage.units.edit')}：${v.code}</h1>${errorSummary(request, errors)}
<form method="post" action="${tenantPath(tenant, `/manage/units/${encodeURIComponent(v.code)}`)}" novalidate>${csrfField(request)}${unitFields(request, tenant, v, errors, true)}<button type="submit">${request.t('profile.save')}</button></form>`;
}

// Reviewers: accounts bound to one unit, created here; they set their password from a mailed link.
export function reviewersPage(
  request: FastifyRequest,
  tenant: Tenant,
  lists: { reviewers: readonly Account[]; units: readonly Unit[] },
  form: { values: Record<string, string>; errors: Messages },
  notice?: string,
): SafeHtml {
  const t = request.t;
  const p = (path: string) => tenantPath(tenant, path);
  const { values: v, errors } = form;
  const unitName = new Map(lists.units.map((u) => [u.code, u.name]));
  return html`<h1>${t('manage.reviewers')}</h1>
${notice ? html`<div class="success" role="status"><p>${notice}</p></div>` : ''}
<table><thead><tr><th scope="col">${t('register.username')}</th><th scope="col">${t('profile.unit')}</th><th scope="col">${t('register.email')}</th><th scope="col">${t('account.state')}</th></tr></thead>
<tbody>${lists.reviewers.map((r) => html`<tr><td><a href="${p(`/manage/accounts/${r.id}`)}">${r.username}</a></td><td>${unitName.get(r.unit_code ?? '') ?? r.unit_code}</td><td>${r.email}</td><td>${t(`state.${r.state}`)}</td></tr>`)}</tbody></table>
<section class="panel" aria-labelledby="rv-new"><h2 id="rv-new">${t('manage.reviewers.create')}</h2>${errorSummary(request, errors)}
<form method="post" action="${p('/manage/reviewers')}" novalidate>${csrfField(request)}
${field({ name: 'username', label: t('register.username'), value: v.username, error: errors.username, required: true, maxlength: 64 })}
${field({ name: 'email', label: t('manage.reviewers.email'), type: 'email', value: v.email, error: errors.email, required: true, hint: t('manage.reviewers.email.hint') })}
<div class="field"><label for="f-unit">${t('profile.unit')}</label><select id="f-unit" name="unit"${errors.unit ? html` aria-invalid="true"` : ''}>${lists.units.map((u) => html`<option value="${u.code}"${u.code === v.unit ? html` selected` : ''}>${u.name}（${u.code}）</option>`)}</select>
${errors.unit ? html`<p class="field-error">${errors.unit}</p>` : ''}</div>
<button type="submit">${t('manage.create')}</button></form></section>`;
}
