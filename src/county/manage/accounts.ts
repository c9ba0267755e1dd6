import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { html } from '../../platform/views/html.ts';
import {
  departAccount,
  LIFECYCLE_REASON_MAX,
  reactivateAccount,
  suspendAccount,
  transferAccount,
} from '../accounts/lifecycle.ts';
import { findAccountById, searchAccounts } from '../accounts/repository.ts';
import { audit } from '../db.ts';
import { withRole } from '../guards.ts';
import { maskedNationalId } from '../profile/profile.ts';
import { ACCOUNT_STATUSES, type AccountStatus } from '../schema.ts';
import type { County } from '../services.ts';
import { listUnits, type Tenant } from '../tenants/tenants.ts';
import { auditActionLabel, auditActorLabel } from '../views/audit-labels.ts';
import { csrfField, formValue } from '../views/form.ts';
import { formatTime, tenantPath } from '../views/page.ts';
import { managePage } from './common.ts';

const PAGE_SIZE = 50;

export async function registerAccountAdminRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);

  app.get('/manage/accounts', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const t = request.t;
    const q = request.query as { q?: unknown; status?: unknown; unit?: unknown; page?: unknown };
    const text = typeof q.q === 'string' ? q.q.trim().slice(0, 64) : '';
    const status = ACCOUNT_STATUSES.includes(q.status as AccountStatus)
      ? (q.status as AccountStatus)
      : undefined;
    const unitCode = typeof q.unit === 'string' && q.unit ? q.unit.slice(0, 20) : undefined;
    const pageNo = Math.max(0, Math.min(10_000, Number.parseInt(String(q.page ?? '0'), 10) || 0));
    const [accounts, units] = await Promise.all([
      searchAccounts(county.db, tenant.code, {
        query: text,
        status,
        unitCode,
        limit: PAGE_SIZE + 1,
        offset: pageNo * PAGE_SIZE,
      }),
      listUnits(county.db, tenant.code),
    ]);
    const unitName = new Map(units.map((u) => [u.code, u.name]));
    const more = accounts.length > PAGE_SIZE;
    const qs = (page: number) =>
      `?q=${encodeURIComponent(text)}&status=${status ?? ''}&unit=${encodeURIComponent(unitCode ?? '')}&page=${page}`;
    return managePage(
      request,
      reply,
      tenant,
      t('manage.accounts'),
      html`<h1>${t('manage.accounts')}</h1>
<form method="get" action="${p('/manage/accounts')}" role="search" class="filters">
<div class="field"><label for="f-q">${t('manage.accounts.search')}</label><input id="f-q" name="q" type="search" value="${text}" maxlength="64"></div>
<div class="field"><label for="f-status">${t('account.status')}</label><select id="f-status" name="status"><option value="">${t('manage.any')}</option>${ACCOUNT_STATUSES.map((s) => html`<option value="${s}"${s === status ? html` selected` : ''}>${t(`status.${s}`)}</option>`)}</select></div>
<div class="field"><label for="f-unit">${t('profile.unit')}</label><select id="f-unit" name="unit"><option value="">${t('manage.any')}</option>${units.map((u) => html`<option value="${u.code}"${u.code === unitCode ? html` selected` : ''}>${u.name}</option>`)}</select></div>
<button type="submit">${t('manage.filter')}</button></form>
<table><thead><tr><th scope="col">${t('register.username')}</th><th scope="col">${t('profile.real_name')}</th><th scope="col">${t('profile.unit')}</th><th scope="col">${t('manage.role')}</th><th scope="col">${t('account.status')}</th></tr></thead>
<tbody>${accounts.slice(0, PAGE_SIZE).map((a) => html`<tr><td><a href="${p(`/manage/accounts/${a.id}`)}">${a.username}</a></td><td>${a.real_name ?? ''}</td><td>${unitName.get(a.unit_code ?? '') ?? ''}</td><td>${t(`role.${a.role}`)}</td><td>${t(`status.${a.status}`)}</td></tr>`)}</tbody></table>
<p>${pageNo > 0 ? html`<a href="${p(`/manage/accounts${qs(pageNo - 1)}`)}">${t('manage.prev')}</a> ` : ''}${more ? html`<a href="${p(`/manage/accounts${qs(pageNo + 1)}`)}">${t('manage.next')}</a>` : ''}</p>`,
    );
  });

  app.get('/manage/accounts/:id', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const t = request.t;
    const account = await findAccountById(county.db, tenant.code, (request.params as { id: string }).id);
    if (!account) throw new AppError('not_found', 404);
    const units = await listUnits(county.db, tenant.code, { activeOnly: true });
    const unit = units.find((u) => u.code === account.unit_code);
    const history = await county.db
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant', '=', tenant.code)
      .where('target', '=', account.id)
      .orderBy('id', 'desc')
      .limit(30)
      .execute();
    const action = (
      path: string,
      label: string,
      cls: string,
      reasonLabel: string,
    ) => html`<form method="post" action="${p(`/manage/accounts/${account.id}/${path}`)}" class="panel">${csrfField(request)}
<div class="field"><label for="r-${path}">${reasonLabel}</label><input id="r-${path}" name="reason" type="text" maxlength="${LIFECYCLE_REASON_MAX}" required></div>
<button type="submit" class="${cls}">${label}</button></form>`;
    return managePage(
      request,
      reply,
      tenant,
      account.username,
      html`<h1>${account.username}</h1>
<dl><dt>${t('profile.real_name')}</dt><dd>${account.real_name ?? '-'}</dd>
<dt>${t('register.email')}</dt><dd>${account.email}</dd>
<dt>${t('profile.national_id')}</dt><dd>${(await maskedNationalId(county, account)) ?? '-'}</dd>
<dt>${t('profile.unit')}</dt><dd>${unit?.name ?? account.unit_code ?? '-'}</dd>
<dt>${t('manage.role')}</dt><dd>${t(`role.${account.role}`)}</dd>
<dt>${t('account.status')}</dt><dd>${t(`status.${account.status}`)}${account.status_reason ? html`（${account.suspended_by_campaign ? t('manage.status_reason.campaign') : ''}<span translate="no">${account.status_reason}</span>）` : ''}</dd>
<dt>${t('manage.created')}</dt><dd>${formatTime(account.created_at)}</dd>
<dt>${t('account.last_login')}</dt><dd>${formatTime(account.last_login_at)}</dd></dl>
<h2>${t('manage.actions')}</h2>
${account.status === 'active' ? action('suspend', t('manage.suspend'), 'danger', t('manage.reason')) : ''}
${account.status === 'suspended' ? action('reactivate', t('manage.reactivate'), '', t('manage.reason')) : ''}
${account.status === 'active' || account.status === 'suspended' ? action('depart', t('manage.depart'), 'danger', t('manage.depart.reason')) : ''}
${
  account.status === 'active' || account.status === 'suspended'
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
<tbody>${history.map((e) => html`<tr><td>${formatTime(e.at)}</td><td>${auditActorLabel(t, e.actor)}</td><td>${auditActionLabel(t, e.action)}</td><td>${e.ip ?? ''}</td></tr>`)}</tbody></table>`,
    );
  });

  const lifecycle = {
    suspend: suspendAccount,
    reactivate: reactivateAccount,
    depart: departAccount,
  } as const;
  for (const [path, run] of Object.entries(lifecycle)) {
    app.post(`/manage/accounts/:id/${path}`, async (request, reply) => {
      const me = withRole(request, reply, tenant, ['county_admin']);
      if (!me) return;
      const accountId = (request.params as { id: string }).id;
      if (!(await findAccountById(county.db, tenant.code, accountId))) throw new AppError('not_found', 404);
      await county.db.transaction().execute((tx) =>
        run(county, tx, {
          tenant,
          accountId,
          reason: formValue(request.body, 'reason'),
          actor: me.username,
          ip: request.ip,
        }),
      );
      return reply.redirect(p(`/manage/accounts/${accountId}`), 303);
    });
  }

  app.post('/manage/accounts/:id/transfer', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const accountId = (request.params as { id: string }).id;
    if (!(await findAccountById(county.db, tenant.code, accountId))) throw new AppError('not_found', 404);
    await county.db.transaction().execute((tx) =>
      transferAccount(county, tx, {
        tenant,
        accountId,
        toUnit: formValue(request.body, 'unit').slice(0, 20),
        actor: me.username,
        ip: request.ip,
      }),
    );
    return reply.redirect(p(`/manage/accounts/${accountId}`), 303);
  });

  app.post('/manage/accounts/:id/role', async (request: FastifyRequest, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const role = formValue(request.body, 'role');
    if (role !== 'teacher' && role !== 'reviewer') throw new AppError('bad_request', 400);
    const account = await findAccountById(county.db, tenant.code, (request.params as { id: string }).id);
    if (!account || account.role === 'county_admin') throw new AppError('not_found', 404);
    await county.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('county_accounts')
        .set({ role, updated_at: new Date() })
        .where('id', '=', account.id)
        .execute();
      await audit(tx, {
        tenant: tenant.code,
        actor: me.username,
        action: 'account.role_changed',
        target: account.id,
        ip: request.ip,
        details: { from: account.role, to: role, unit: account.unit_code },
      });
    });
    return reply.redirect(p(`/manage/accounts/${account.id}`), 303);
  });
}
