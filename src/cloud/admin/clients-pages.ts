import type { FastifyRequest } from 'fastify';
import { html } from '../../platform/views/html.ts';
import { CLOUD_SCOPES } from '../oidc/scopes.ts';
import { csrfField, notice } from '../views.ts';
import { adminTabs } from './console.ts';

interface ClientRow {
  clientId: string;
  name: string;
  redirectUris: string[];
  scopes: string[];
  disabled: boolean;
  source: string;
}

function scopeBoxes(request: FastifyRequest, idPrefix: string, checked: string[]) {
  return html`<fieldset><legend>Scopes</legend>${Object.keys(CLOUD_SCOPES).map(
    (
      scope,
    ) => html`<label for="${idPrefix}-${scope}"><input type="checkbox" id="${idPrefix}-${scope}" name="scope" value="${scope}"
${checked.includes(scope) ? 'checked' : ''} ${scope === 'openid' ? 'disabled' : ''}> <code>${scope}</code> ${request.t(`cloud.scope.${scope}`)}</label>`,
  )}</fieldset>`;
}

/** The relying parties page: each client with its scopes, the one just issued (secret shown once), the form to add one. */
export function clientsPage(
  request: FastifyRequest,
  {
    clients,
    issued,
    issuer,
  }: {
    clients: ClientRow[];
    issued: { client_id: string; client_secret?: string } | undefined;
    issuer: string;
  },
) {
  const t = request.t;
  return html`<h1>${t('cloud.admin.clients')}</h1>
${adminTabs(request)}
${notice(request, ['cloud.admin.saved'])}
${
  issued
    ? html`<div class="success" role="status"><p>client_id <code id="issued-client-id">${issued.client_id}</code></p>
${issued.client_secret ? html`<p>client_secret <code id="issued-client-secret">${issued.client_secret}</code></p>` : ''}
<p>${t('cloud.admin.client_secret_once')}</p></div>`
    : ''
}
<p>${t('cloud.admin.client_discovery')} <code>${issuer}/.well-known/openid-configuration</code></p>
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
<p><button type="submit">${t('cloud.admin.client_add')}</button></p></form>`;
}
