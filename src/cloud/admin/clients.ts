import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { html } from '../../platform/views/html.ts';
import { CLOUD_SCOPES } from '../oidc/scopes.ts';
import { csrfField, notice, sendCloudPage } from '../views.ts';
import { adminTabs, requireAdmin } from './console.ts';

const lines = (value: unknown): string[] =>
  (typeof value === 'string' ? value : '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

function scopesFrom(body: unknown): string[] {
  const value = (body as Record<string, unknown> | undefined)?.scope;
  const list = Array.isArray(value) ? value : [value];
  return list.filter((s): s is string => typeof s === 'string' && s in CLOUD_SCOPES);
}

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

function scopeBoxes(request: FastifyRequest, idPrefix: string, checked: string[]) {
  return html`<fieldset><legend>Scopes</legend>${Object.keys(CLOUD_SCOPES).map(
    (
      scope,
    ) => html`<label for="${idPrefix}-${scope}"><input type="checkbox" id="${idPrefix}-${scope}" name="scope" value="${scope}"
${checked.includes(scope) ? 'checked' : ''} ${scope === 'openid' ? 'disabled' : ''}> <code>${scope}</code> ${request.t(`cloud.scope.${scope}`)}</label>`,
  )}</fieldset>`;
}

/** Relying parties of the cloud provider in the admin console: register, change scopes, disable. */
export function clientConsoleRoutes(app: FastifyInstance): void {
  const { cloud } = app;

  app.get('/admin/clients', async (request, reply) => {
    const admin = await requireAdmin(request, reply);
    if (!admin) return reply;
    const oidc = cloud.oidc;
    if (!oidc) throw new AppError('not_found', 404);
    const t = request.t;
    const clients = await oidc.clients.list();
    const issued = request.session.get<{ client_id: string; client_secret?: string }>('cloud.issuedClient');
    if (issued) request.session.delete('cloud.issuedClient');
    return sendCloudPage(request, reply, {
      title: t('cloud.admin.clients'),
      account: admin,
      main: html`<h1>${t('cloud.admin.clients')}</h1>
${adminTabs(request)}
${notice(request, ['cloud.admin.saved'])}
${
  issued
    ? html`<div class="success" role="status"><p>client_id <code id="issued-client-id">${issued.client_id}</code></p>
${issued.client_secret ? html`<p>client_secret <code id="issued-client-secret">${issued.client_secret}</code></p>` : ''}
<p>${t('cloud.admin.client_secret_once')}</p></div>`
    : ''
}
<p>${t('cloud.admin.client_discovery')} <code>${oidc.issuer}/.well-known/openid-configuration</code></p>
${clients.map(
  (
    c,
  ) => html`<section><h2>${c.name} <code>${c.clientId}</code>${c.disabled ? html` <span class="meta">(${t('cloud.admin.state.suspended')})</span>` : ''}</h2>
<p class="meta">${c.redirectUris.join(' ')} · ${t(`cloud.admin.client_source.${c.source}`)}</p>
<form method="post" action="/admin/clients/${c.clientId}">${csrfField(request)}
${scopeBoxes(request, c.clientId, c.scopes)}
<p><button type="submit">${t('cloud.admin.saved_button')}</button></p></form>
<form method="post" action="/admin/clients/${c.clientId}/${c.disabled ? 'enable' : 'disable'}" class="inline">${csrfField(request)}
<button type="submit" class="secondary">${c.disabled ? t('cloud.admin.county_enable') : t('cloud.admin.county_disable')}</button></form></section>`,
)}
<h2>${t('cloud.admin.client_add')}</h2>
<form method="post" action="/admin/clients">${csrfField(request)}
<p><label for="name">${t('cloud.admin.client_name')}</label><input type="text" id="name" name="name" required></p>
<p><label for="redirect_uris">${t('cloud.admin.client_redirects')}</label><textarea id="redirect_uris" name="redirect_uris" required></textarea></p>
<p><label for="post_logout">${t('cloud.admin.client_logout_redirects')}</label><textarea id="post_logout" name="post_logout_redirect_uris"></textarea></p>
${scopeBoxes(request, 'new', ['openid', 'profile', 'email'])}
<p><button type="submit">${t('cloud.admin.client_add')}</button></p></form>`,
    });
  });

  app.post('/admin/clients', async (request, reply) => {
    const admin = await requireAdmin(request, reply);
    if (!admin) return reply;
    const oidc = cloud.oidc;
    if (!oidc) throw new AppError('not_found', 404);
    const issued = await oidc.clients.add({
      name: field(request.body, 'name'),
      redirectUris: lines(field(request.body, 'redirect_uris')),
      postLogoutRedirectUris: lines(field(request.body, 'post_logout_redirect_uris')),
      scopes: ['openid', ...scopesFrom(request.body)],
    });
    await recordAudit(cloud.db, {
      actor: admin.name,
      action: 'client.added',
      target: issued.client_id,
      ip: request.ip,
    });
    request.session.set('cloud.issuedClient', issued);
    return reply.redirect('/admin/clients', 303);
  });

  app.post<{ Params: { clientId: string } }>('/admin/clients/:clientId', async (request, reply) => {
    const admin = await requireAdmin(request, reply);
    if (!admin) return reply;
    const oidc = cloud.oidc;
    if (!oidc) throw new AppError('not_found', 404);
    await oidc.clients.update(request.params.clientId, { scopes: ['openid', ...scopesFrom(request.body)] });
    await recordAudit(cloud.db, {
      actor: admin.name,
      action: 'client.scopes_changed',
      target: request.params.clientId,
      ip: request.ip,
    });
    return reply.redirect('/admin/clients?notice=cloud.admin.saved', 303);
  });

  app.post<{ Params: { clientId: string; action: string } }>(
    '/admin/clients/:clientId/:action',
    async (request, reply) => {
      const admin = await requireAdmin(request, reply);
      if (!admin) return reply;
      const oidc = cloud.oidc;
      if (!oidc) throw new AppError('not_found', 404);
      const { clientId, action } = request.params;
      if (action !== 'enable' && action !== 'disable') throw new AppError('not_found', 404);
      await oidc.clients.update(clientId, { disabled: action === 'disable' });
      await recordAudit(cloud.db, {
        actor: admin.name,
        action: `client.${action}d`,
        target: clientId,
        ip: request.ip,
      });
      return reply.redirect('/admin/clients?notice=cloud.admin.saved', 303);
    },
  );
}
