import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { headedPage, tenantPath } from '../views/page.ts';

/** 「您已登出」: the portal and the services signed out with it (names as registered). */
export function signedOutPage(request: FastifyRequest, tenant: Tenant, apps: string[]): SafeHtml {
  const t = request.t;
  return headedPage(
    request,
    tenant,
    'signed_out.title',
    html`
<div class="success" role="status"><p>${t('signed_out.intro')}</p>
<ul id="signed-out-services"><li>${tenant.portal_name}</li>${apps.length > 0 ? html`<li>${t('signed_out.apps', { apps: apps.join('、') })}</li>` : ''}</ul></div>
<p>${t('signed_out.again')}</p>
<p><a href="${tenantPath(tenant, '/login')}">${t('signed_out.login')}</a></p>`,
  );
}
