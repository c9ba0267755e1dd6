import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import type { CloudAccount } from '../account/accounts.ts';
import { changeAccountState } from '../account/lifecycle.ts';
import type { CountyConnection } from '../broker/counties.ts';
import { requireCloudAccount } from '../session.ts';
import { csrfField, notice, sendCloudPage } from '../views.ts';

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** The signed-in cloud administrator, or a redirect to the login / a 403. */
export async function requireAdmin(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<CloudAccount | undefined> {
  const account = await requireCloudAccount(request, reply);
  if (!account) return undefined;
  if (!account.isAdmin) throw new AppError('forbidden', 403);
  return account;
}

export function adminTabs(request: FastifyRequest): SafeHtml {
  const t = request.t;
  return html`<nav aria-label="${t('cloud.admin.title')}" class="tabs"><a href="/admin">${t('cloud.admin.counties')}</a> ·
<a href="/admin/clients">${t('cloud.admin.clients')}</a> ·
<a href="/admin/accounts">${t('cloud.admin.accounts')}</a> ·
<a href="/admin/roles">${t('cloud.admin.roles')}</a></nav>`;
}

/** The console's first page: the county connections and the form to add or change one. */
function countiesMain(request: FastifyRequest, counties: readonly CountyConnection[]): SafeHtml {
  const t = request.t;
  return html`<h1>${t('cloud.admin.title')}</h1>
${adminTabs(request)}
${notice(request, ['cloud.admin.county_saved', 'cloud.admin.saved'])}
<h2 id="counties">${t('cloud.admin.counties')}</h2>
<table aria-labelledby="counties"><thead><tr><th scope="col">${t('cloud.admin.county_code')}</th><th scope="col">${t('cloud.admin.county_name')}</th>
<th scope="col">${t('cloud.admin.county_issuer')}</th><th scope="col">${t('cloud.admin.county_client_id')}</th>
<th scope="col">${t('cloud.admin.county_enabled')}</th><th scope="col">${t('cloud.admin.actions')}</th></tr></thead>
<tbody>${counties.map(
    (
      c,
    ) => html`<tr><td><code>${c.code}</code></td><td>${c.name}</td><td><code>${c.issuer}</code></td><td><code>${c.clientId}</code></td>
<td>${c.enabled ? t('cloud.yes') : t('cloud.no')}</td>
<td><form method="post" action="/admin/counties/${c.code}/${c.enabled ? 'disable' : 'enable'}" class="inline">${csrfField(request)}
<button type="submit" class="secondary">${c.enabled ? t('cloud.admin.county_disable') : t('cloud.admin.county_enable')}</button></form></td></tr>`,
  )}</tbody></table>
<h3>${t('cloud.admin.county_save')}</h3>
<form method="post" action="/admin/counties">${csrfField(request)}
<p><label for="code">${t('cloud.admin.county_code')}</label><input type="text" id="code" name="code" required pattern="[a-z][a-z0-9-]{1,31}"></p>
<p><label for="name">${t('cloud.admin.county_name')}</label><input type="text" id="name" name="name" required></p>
<p><label for="issuer">${t('cloud.admin.county_issuer')}</label><input type="url" id="issuer" name="issuer" required></p>
<p><label for="client_id">${t('cloud.admin.county_client_id')}</label><input type="text" id="client_id" name="client_id" required></p>
<p><label for="client_secret">${t('cloud.admin.county_client_secret')}</label>
<input type="password" id="client_secret" name="client_secret" autocomplete="off" required aria-describedby="secret-hint">
<span class="hint" id="secret-hint">${t('cloud.admin.county_secret_hint')}</span></p>
<p><button type="submit">${t('cloud.admin.county_save')}</button></p></form>`;
}

/** The cloud administrators' console: county connections, accounts and custom roles. */
export function adminConsoleRoutes(app: FastifyInstance): void {
  const { cloud } = app;
  const audit = (admin: CloudAccount, request: FastifyRequest, action: string, target: string) =>
    recordAudit(cloud.db, { actor: admin.name, action, target, ip: request.ip });

  app.get('/admin', async (request, reply) => {
    const admin = await requireAdmin(request, reply);
    if (!admin) return reply;
    const t = request.t;
    const counties = await cloud.counties.list();
    return sendCloudPage(request, reply, {
      title: t('cloud.admin.title'),
      account: admin,
      main: countiesMain(request, counties),
    });
  });

  app.post('/admin/counties', async (request, reply) => {
    const admin = await requireAdmin(request, reply);
    if (!admin) return reply;
    const county = await cloud.counties.upsert({
      code: field(request.body, 'code'),
      name: field(request.body, 'name'),
      issuer: field(request.body, 'issuer'),
      clientId: field(request.body, 'client_id'),
      clientSecret: field(request.body, 'client_secret'),
    });
    await audit(admin, request, 'county.saved', county.code);
    return reply.redirect('/admin?notice=cloud.admin.county_saved', 303);
  });

  app.post<{ Params: { code: string; action: string } }>(
    '/admin/counties/:code/:action',
    async (request, reply) => {
      const admin = await requireAdmin(request, reply);
      if (!admin) return reply;
      const { code, action } = request.params;
      if (action !== 'enable' && action !== 'disable') throw new AppError('not_found', 404);
      await cloud.counties.setEnabled(code, action === 'enable');
      await audit(admin, request, `county.${action}d`, code);
      return reply.redirect('/admin?notice=cloud.admin.saved', 303);
    },
  );

  app.get('/admin/accounts', async (request, reply) => {
    const admin = await requireAdmin(request, reply);
    if (!admin) return reply;
    const t = request.t;
    const q = String((request.query as Record<string, unknown>).q ?? '').slice(0, 40);
    const accounts = await cloud.accounts.list({ query: q, limit: 100 });
    return sendCloudPage(request, reply, {
      title: t('cloud.admin.accounts'),
      account: admin,
      main: html`<h1>${t('cloud.admin.accounts')}</h1>
${adminTabs(request)}
${notice(request, ['cloud.admin.saved'])}
<form method="get" action="/admin/accounts" role="search"><p><label for="q">${t('cloud.admin.account_search')}</label>
<input type="search" id="q" name="q" value="${q}"> <button type="submit">${t('cloud.admin.account_search')}</button></p></form>
<table><thead><tr><th scope="col">${t('cloud.account.email')}</th><th scope="col">${t('cloud.account.name')}</th>
<th scope="col">${t('cloud.admin.account_state')}</th><th scope="col">${t('cloud.admin.actions')}</th></tr></thead>
<tbody>${accounts.map(
        (
          a,
        ) => html`<tr><td>${cloud.emailOf(a)}</td><td>${a.displayName}</td><td>${t(`cloud.admin.state.${a.state}`)}</td>
<td>${
          a.id === admin.id
            ? ''
            : html`<form method="post" action="/admin/accounts/${a.id}/${a.state === 'active' ? 'suspend' : 'reactivate'}" class="inline">${csrfField(request)}
<button type="submit" class="${a.state === 'active' ? 'danger' : 'secondary'}">${a.state === 'active' ? t('cloud.admin.suspend') : t('cloud.admin.reactivate')}</button></form>`
        }</td></tr>`,
      )}</tbody></table>`,
    });
  });

  app.post<{ Params: { id: string; action: string } }>(
    '/admin/accounts/:id/:action',
    async (request, reply) => {
      const admin = await requireAdmin(request, reply);
      if (!admin) return reply;
      const { id, action } = request.params;
      if (action !== 'suspend' && action !== 'reactivate') throw new AppError('not_found', 404);
      if (id === admin.id) throw new AppError('forbidden', 403);
      const account = await cloud.accounts.byId(id);
      if (!account) throw new AppError('not_found', 404);
      await cloud.db.transaction().execute((tx) =>
        changeAccountState(cloud.ctx, tx, {
          accountId: id,
          state: action === 'suspend' ? 'suspended' : 'active',
          actor: admin.name,
          ip: request.ip,
        }),
      );
      return reply.redirect('/admin/accounts?notice=cloud.admin.saved', 303);
    },
  );

  app.get('/admin/roles', async (request, reply) => {
    const admin = await requireAdmin(request, reply);
    if (!admin) return reply;
    const t = request.t;
    const roles = await cloud.roles.list();
    const members = await Promise.all(roles.map((r) => cloud.roles.members(r.code)));
    return sendCloudPage(request, reply, {
      title: t('cloud.admin.roles'),
      account: admin,
      main: html`<h1>${t('cloud.admin.roles')}</h1>
${adminTabs(request)}
${notice(request, ['cloud.admin.saved'])}
${roles.map(
  (r, i) => html`<section><h2><code>${r.code}</code> ${r.name}</h2><p>${r.description}</p>
<p>${t('cloud.admin.role_members')}: ${(members[i] ?? []).map((m) => `${m.name}${m.schoolid ? ` (${m.schoolid})` : ''}`).join('、')}</p>
<form method="post" action="/admin/roles/${r.code}/assign">${csrfField(request)}
<label for="account-${r.code}">${t('cloud.admin.role_account')}</label><input type="text" id="account-${r.code}" name="account" required>
<label for="school-${r.code}">${t('cloud.admin.role_school')}</label><input type="text" id="school-${r.code}" name="schoolid" pattern="[0-9A-Za-z]{6,8}">
<button type="submit">${t('cloud.admin.role_assign')}</button></form></section>`,
)}
<h2>${t('cloud.admin.role_save')}</h2>
<form method="post" action="/admin/roles">${csrfField(request)}
<p><label for="code">${t('cloud.admin.role_code')}</label><input type="text" id="code" name="code" required></p>
<p><label for="name">${t('cloud.admin.role_name')}</label><input type="text" id="name" name="name" required></p>
<p><label for="description">${t('cloud.admin.role_description')}</label><textarea id="description" name="description"></textarea></p>
<p><button type="submit">${t('cloud.admin.role_save')}</button></p></form>`,
    });
  });

  app.post('/admin/roles', async (request, reply) => {
    const admin = await requireAdmin(request, reply);
    if (!admin) return reply;
    const code = field(request.body, 'code');
    await cloud.roles.define({
      code,
      name: field(request.body, 'name'),
      description: field(request.body, 'description'),
    });
    await audit(admin, request, 'role.saved', code);
    return reply.redirect('/admin/roles?notice=cloud.admin.saved', 303);
  });

  app.post<{ Params: { code: string } }>('/admin/roles/:code/assign', async (request, reply) => {
    const admin = await requireAdmin(request, reply);
    if (!admin) return reply;
    const name = field(request.body, 'account').trim().toLowerCase().replace(/@.*$/, '');
    const account = await cloud.accounts.byName(name);
    if (!account) throw new AppError('not_found', 404);
    const schoolid = field(request.body, 'schoolid').trim();
    if (schoolid !== '' && !/^[0-9A-Za-z]{6,8}$/.test(schoolid)) throw new AppError('bad_request', 400);
    await cloud.roles.assign(request.params.code, account.id, schoolid);
    await audit(admin, request, 'role.assigned', account.id);
    return reply.redirect('/admin/roles?notice=cloud.admin.saved', 303);
  });
}
