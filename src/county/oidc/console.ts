import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendPage } from '../../platform/http/role-app.ts';
import type { IssuedClient, OidcProvider } from '../../platform/oidc/index.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { audit } from '../db.ts';
import { withRole } from '../guards.ts';
import type { County } from '../services.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { csrfField, formValue, postButton, textarea } from '../views/form.ts';
import { formatTime, headedPage } from '../views/page.ts';
import { RESTRICTED_SCOPES } from './scopes.ts';

const lines = (value: string) =>
  value
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);

function checkedScopes(body: unknown): string[] {
  const value = (body as Record<string, unknown> | undefined)?.scope;
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((s): s is string => typeof s === 'string');
}

function scopeBoxes(
  request: FastifyRequest,
  oidc: OidcProvider,
  idPrefix: string,
  chosen: Set<string>,
): SafeHtml {
  const t = request.t;
  return html`<fieldset><legend>${t('county.oidc.console.scopes')}</legend>
${oidc.scopes.map(
  (scope) =>
    html`<label class="inline" for="${idPrefix}-${scope}"><input type="checkbox" id="${idPrefix}-${scope}" name="scope" value="${scope}"${chosen.has(scope) || scope === 'openid' ? html` checked` : ''}${scope === 'openid' ? html` disabled` : ''}> <code>${scope}</code> ${oidc.consentLine(scope, request.locale)}${RESTRICTED_SCOPES.has(scope) ? html` <strong>${t('county.oidc.console.personid_warning')}</strong>` : ''}</label><br>`,
)}
<input type="hidden" name="scope" value="openid"></fieldset>`;
}

/**
 * The county administrators' console for OpenID applications (`/{tenant}/manage/oidc`): register
 * an application (name, exact redirect URIs, allowed scopes — `personid` only when ticked), see
 * its secret once, rotate it, change or disable it; see the endpoints and rotate signing keys.
 */
export async function registerOidcConsole(
  app: FastifyInstance,
  oidc: OidcProvider,
  county: County,
  tenant: Tenant,
): Promise<void> {
  const base = `/${tenant.code}/manage/oidc`;
  const record = (request: FastifyRequest, actor: string, action: string, target: string, details = {}) =>
    audit(county.db, { tenant: tenant.code, actor, action, target, ip: request.ip, details });

  const render = async (
    request: FastifyRequest,
    reply: FastifyReply,
    issued?: IssuedClient,
    status = 200,
  ) => {
    const t = request.t;
    const clients = await oidc.clients.list();
    const keys = await oidc.keys.list();
    const retention = oidc.ttl.keyRetention * 1000;
    return sendPage(
      reply,
      headedPage(
        request,
        tenant,
        'county.oidc.console.title',
        html`
<p>${t('county.oidc.console.intro')}</p>
${
  issued?.client_secret
    ? html`<div class="success" role="status"><p>${t('county.oidc.console.secret_once')}</p>
<p><code id="issued-client-id">${issued.client_id}</code></p><p><code id="issued-secret">${issued.client_secret}</code></p></div>`
    : ''
}
<section class="panel"><h2>${t('county.oidc.console.endpoints')}</h2>
<p>${t('county.oidc.console.discovery')}：<a href="${oidc.issuer}/.well-known/openid-configuration">${oidc.issuer}/.well-known/openid-configuration</a></p></section>
${clients.length === 0 ? html`<p>${t('county.oidc.console.none')}</p>` : ''}
${clients.map(
  (
    c,
  ) => html`<section class="panel" id="client-${c.clientId}"><h2>${c.name} ${c.disabled ? t('county.oidc.console.disabled') : ''}</h2>
<p>${t('county.oidc.console.client_id')}：<code>${c.clientId}</code> · ${formatTime(c.createdAt)}</p>
<form method="post" action="${base}/clients/${c.clientId}">${csrfField(request)}
<div class="field"><label for="name-${c.clientId}">${t('county.oidc.console.name')}</label><input id="name-${c.clientId}" name="name" value="${c.name}" required maxlength="200"></div>
<div class="field"><label for="uris-${c.clientId}">${t('county.oidc.console.redirect_uris')}</label><textarea id="uris-${c.clientId}" name="redirect_uris" rows="3">${c.redirectUris.join('\n')}</textarea></div>
<div class="field"><label for="logout-${c.clientId}">${t('county.oidc.console.logout_uris')}</label><textarea id="logout-${c.clientId}" name="post_logout_redirect_uris" rows="2">${c.postLogoutRedirectUris.join('\n')}</textarea></div>
${scopeBoxes(request, oidc, `scope-${c.clientId}`, new Set(c.scopes))}
<button type="submit">${t('county.oidc.console.save')}</button></form>
<p>${c.public ? '' : postButton(request, `${base}/clients/${c.clientId}/secret`, t('county.oidc.console.rotate'), { className: 'secondary' })}
${postButton(request, `${base}/clients/${c.clientId}/state`, c.disabled ? t('county.oidc.console.enable') : t('county.oidc.console.disable'), { className: 'danger', hidden: { disabled: c.disabled ? '0' : '1' } })}</p>
</section>`,
)}
<section class="panel"><h2>${t('county.oidc.console.add')}</h2>
<form method="post" action="${base}/clients">${csrfField(request)}
<div class="field"><label for="new-name">${t('county.oidc.console.name')}</label><input id="new-name" name="name" required maxlength="200"></div>
${textarea({ name: 'redirect_uris', label: t('county.oidc.console.redirect_uris'), required: true, rows: 3 })}
${textarea({ name: 'post_logout_redirect_uris', label: t('county.oidc.console.logout_uris'), rows: 2 })}
${scopeBoxes(request, oidc, 'new-scope', new Set(['openid']))}
<label class="inline" for="new-public"><input type="checkbox" id="new-public" name="public" value="1"> ${t('county.oidc.console.public')}</label>
<p><button type="submit">${t('county.oidc.console.add')}</button></p></form></section>
<section class="panel"><h2>${t('county.oidc.console.keys')}</h2><ul>${keys
          .filter((k) => k.published)
          .map(
            (k) =>
              html`<li><code>${k.kid}</code> ${k.alg} · ${formatTime(k.createdAt)} · ${k.current ? t('county.oidc.console.key_current') : t('county.oidc.console.key_retired', { until: formatTime(new Date((k.retiredAt?.getTime() ?? 0) + retention)) })}</li>`,
          )}</ul>
${postButton(request, `${base}/keys/rotate`, t('county.oidc.console.rotate_keys'), { className: 'secondary' })}</section>`,
      ),
      status,
    );
  };

  const admin = (request: FastifyRequest, reply: FastifyReply) =>
    withRole(request, reply, tenant, ['county_admin']);

  app.get('/manage/oidc', async (request, reply) => {
    if (!admin(request, reply)) return reply;
    return render(request, reply);
  });

  app.post('/manage/oidc/clients', async (request, reply) => {
    const account = admin(request, reply);
    if (!account) return reply;
    const body = request.body;
    const issued = await oidc.clients.add({
      name: formValue(body, 'name'),
      redirectUris: lines(formValue(body, 'redirect_uris')),
      postLogoutRedirectUris: lines(formValue(body, 'post_logout_redirect_uris')),
      scopes: checkedScopes(body),
      public: formValue(body, 'public') === '1',
    });
    await record(request, account.username, 'oidc.client.added', issued.client_id, {
      scopes: checkedScopes(body),
    });
    return render(request, reply, issued, 201);
  });

  app.post<{ Params: { clientId: string } }>('/manage/oidc/clients/:clientId', async (request, reply) => {
    const account = admin(request, reply);
    if (!account) return reply;
    const body = request.body;
    await oidc.clients.update(request.params.clientId, {
      name: formValue(body, 'name'),
      redirectUris: lines(formValue(body, 'redirect_uris')),
      postLogoutRedirectUris: lines(formValue(body, 'post_logout_redirect_uris')),
      scopes: checkedScopes(body),
    });
    await record(request, account.username, 'oidc.client.updated', request.params.clientId, {
      scopes: checkedScopes(body),
    });
    return reply.redirect(`${base}#client-${request.params.clientId}`, 303);
  });

  app.post<{ Params: { clientId: string } }>(
    '/manage/oidc/clients/:clientId/secret',
    async (request, reply) => {
      const account = admin(request, reply);
      if (!account) return reply;
      const issued = await oidc.clients.rotateSecret(request.params.clientId);
      await record(request, account.username, 'oidc.client.secret_rotated', issued.client_id);
      return render(request, reply, issued);
    },
  );

  app.post<{ Params: { clientId: string } }>(
    '/manage/oidc/clients/:clientId/state',
    async (request, reply) => {
      const account = admin(request, reply);
      if (!account) return reply;
      const disabled = formValue(request.body, 'disabled') === '1';
      await oidc.clients.update(request.params.clientId, { disabled });
      await record(
        request,
        account.username,
        disabled ? 'oidc.client.disabled' : 'oidc.client.enabled',
        request.params.clientId,
      );
      return reply.redirect(base, 303);
    },
  );

  app.post('/manage/oidc/keys/rotate', async (request, reply) => {
    const account = admin(request, reply);
    if (!account) return reply;
    const key = await oidc.rotateKeys();
    await record(request, account.username, 'oidc.keys.rotated', key.kid);
    return reply.redirect(base, 303);
  });
}
