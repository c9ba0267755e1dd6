import type { FastifyInstance } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { CLOUD_SCOPES } from '../oidc/scopes.ts';
import { sendCloudPage } from '../views.ts';
import { clientsPage } from './clients-pages.ts';
import { requireAdmin } from './console.ts';

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

/** Relying parties of the cloud provider in the admin console: register, change scopes, disable. */
export function clientConsoleRoutes(app: FastifyInstance): void {
  const { cloud } = app;

  app.get('/admin/clients', async (request, reply) => {
    const admin = await requireAdmin(request, reply);
    if (!admin) return reply;
    const oidc = cloud.oidc;
    if (!oidc) throw new AppError('not_found', 404);
    const clients = await oidc.clients.list();
    const issued = request.session.get<{ client_id: string; client_secret?: string }>('cloud.issuedClient');
    if (issued) request.session.delete('cloud.issuedClient');
    return sendCloudPage(request, reply, {
      title: request.t('cloud.admin.clients'),
      account: admin,
      main: clientsPage(request, { clients, issued, issuer: oidc.issuer }),
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
