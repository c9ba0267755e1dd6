import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { sendPage } from '../../platform/http/role-app.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { page } from '../../platform/views/layout.ts';
import { certificateFingerprint } from './certificates.ts';
import {
  RegistrationError,
  readSpMetadata,
  type ServiceProviderInput,
  type ServiceProviderRow,
} from './registry.ts';
import { idpUrls, type SamlIdpBase } from './sso.ts';

export interface SamlAdminDeps extends SamlIdpBase {
  /** The signed-in cloud administrator's name, or undefined (then the page is refused). */
  administrator(request: FastifyRequest): Promise<string | undefined>;
}

/** Registration input from the console form or the admin API: metadata XML, or explicit fields. */
export function registrationInput(body: Record<string, unknown>): ServiceProviderInput {
  const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const fromMetadata = text(body.metadata) ? readSpMetadata(text(body.metadata)) : undefined;
  const acs = Array.isArray(body.acsUrls)
    ? body.acsUrls.map(String)
    : text(body.acsUrls ?? body.acs)
        .split(/\s+/)
        .filter(Boolean);
  const input: ServiceProviderInput = fromMetadata ?? { entityId: text(body.entityId), acsUrls: acs };
  if (text(body.name)) input.name = text(body.name);
  if (text(body.nameIdDomain)) input.nameIdDomain = text(body.nameIdDomain).toLowerCase();
  if (fromMetadata && text(body.entityId) && text(body.entityId) !== fromMetadata.entityId) {
    throw new RegistrationError('entity ID differs from the metadata');
  }
  return input;
}

export function describeProvider(sp: ServiceProviderRow) {
  return {
    entityId: sp.entity_id,
    name: sp.name,
    acsUrls: sp.acs_urls,
    nameIdFormat: sp.name_id_format,
    nameIdDomain: sp.name_id_domain,
    wantAssertionsSigned: sp.want_assertions_signed,
    enabled: sp.enabled,
  };
}

async function register(deps: SamlAdminDeps, body: Record<string, unknown>) {
  try {
    return await deps.providers.register(registrationInput(body));
  } catch (error) {
    if (error instanceof RegistrationError)
      throw new AppError('saml_registration', 400, { reason: error.message });
    throw error;
  }
}

/** JSON routes for `edugate saml …` (mounted inside the cloud's `/admin/api`, bearer admin token). */
export function samlAdminApi(api: FastifyInstance, deps: SamlAdminDeps): void {
  api.get('/saml/sps', async () => ({
    serviceProviders: (await deps.providers.list()).map(describeProvider),
  }));
  api.post('/saml/sps', async (request) => ({
    serviceProvider: describeProvider(await register(deps, (request.body ?? {}) as Record<string, unknown>)),
  }));
  api.delete('/saml/sps', async (request) => {
    const entityId = (request.query as { entityId?: string }).entityId ?? '';
    if (!(await deps.providers.remove(entityId))) throw new AppError('not_found', 404);
    return { removed: entityId };
  });
  api.get('/saml/keys', async () => ({
    ...idpUrls(deps.baseUrl),
    certificates: (await deps.keys.published()).map((pem, i) => ({
      use: i === 0 ? 'current' : 'next',
      fingerprint: certificateFingerprint(pem),
      pem,
    })),
  }));
  api.post('/saml/keys/rotate', async () => {
    await deps.keys.rotate();
    return { certificates: (await deps.keys.published()).map((pem) => certificateFingerprint(pem)) };
  });
}

/** The SAML console: the IdP's URLs and certificates, the registered SPs, the form to add one. */
function samlConsoleMain(
  request: FastifyRequest,
  view: {
    urls: ReturnType<typeof idpUrls>;
    certs: readonly string[];
    sps: readonly ServiceProviderRow[];
    notice: string | undefined;
    csrf: SafeHtml;
  },
): SafeHtml {
  const t = request.t;
  const { urls, certs, sps, notice } = view;
  return html`<h1>${t('saml.admin.title')}</h1>
${notice ? html`<div class="notice" role="status"><p>${t(notice)}</p></div>` : ''}
<h2>${t('saml.admin.idp')}</h2>
<dl><dt>Entity ID / ${t('saml.admin.metadata')}</dt><dd><a href="/saml/metadata">${urls.entityId}</a></dd>
<dt>${t('saml.admin.sso')}</dt><dd>${urls.ssoUrl}</dd>
<dt>${t('saml.admin.certs')}</dt><dd><ul>${certs.map((c) => html`<li><code>${certificateFingerprint(c)}</code></li>`)}</ul></dd></dl>
<form method="post" action="/admin/saml/keys/rotate">${view.csrf}<button type="submit">${t('saml.admin.rotate')}</button></form>
<h2 id="sps">${t('saml.admin.sps')}</h2>
<table aria-labelledby="sps"><thead><tr><th scope="col">${t('saml.admin.entity')}</th><th scope="col">${t('saml.admin.acs')}</th><th scope="col">${t('saml.admin.nameid')}</th><th scope="col"><span class="visually-hidden">${t('saml.admin.actions')}</span></th></tr></thead>
<tbody>${sps.map(
    (sp) => html`<tr><td>${sp.entity_id}</td><td>${sp.acs_urls.map((u) => html`<div>${u}</div>`)}</td>
<td>${sp.name_id_domain ? t('saml.admin.nameid_domain', { domain: sp.name_id_domain }) : t('saml.admin.nameid_email')}</td>
<td><form method="post" action="/admin/saml/sps/remove">${view.csrf}<input type="hidden" name="entityId" value="${sp.entity_id}"><button type="submit">${t('saml.admin.remove')}</button></form></td></tr>`,
  )}</tbody></table>
<h2>${t('saml.admin.add')}</h2>
<form method="post" action="/admin/saml/sps">${view.csrf}
<label for="metadata">${t('saml.admin.add_metadata')}</label><textarea id="metadata" name="metadata" rows="6"></textarea>
<label for="entityId">${t('saml.admin.add_entity')}</label><input id="entityId" name="entityId">
<label for="acs">${t('saml.admin.add_acs')}</label><textarea id="acs" name="acs" rows="2"></textarea>
<label for="nameIdDomain">${t('saml.admin.add_domain')}</label><input id="nameIdDomain" name="nameIdDomain">
<button type="submit">${t('saml.admin.add_submit')}</button></form>`;
}

/** The cloud admin console page: IdP details, registered service providers, registration form. */
export function samlConsole(app: FastifyInstance, deps: SamlAdminDeps): void {
  const admin = async (request: FastifyRequest) => {
    const name = await deps.administrator(request);
    if (!name) throw new AppError('forbidden', 403);
    return name;
  };
  const csrf = (request: FastifyRequest) =>
    html`<input type="hidden" name="_csrf" value="${request.session.csrfToken()}">`;

  app.get('/admin/saml', async (request, reply) => {
    await admin(request);
    const t = request.t;
    const urls = idpUrls(deps.baseUrl);
    const certs = await deps.keys.published();
    const sps = await deps.providers.list();
    const notice = (request.query as { notice?: string }).notice;
    const known = ['saml.admin.added', 'saml.admin.removed', 'saml.admin.rotated'];
    const view = {
      urls,
      certs,
      sps,
      notice: notice && known.includes(notice) ? notice : undefined,
      csrf: csrf(request),
    };
    return sendPage(
      reply,
      page(request, {
        title: t('saml.admin.title'),
        brand: request.server.brand,
        main: samlConsoleMain(request, view),
      }),
    );
  });

  app.post('/admin/saml/sps', async (request, reply) => {
    const name = await admin(request);
    const sp = await register(deps, (request.body ?? {}) as Record<string, unknown>);
    await deps.audit?.(request, 'saml.sp.registered', sp.entity_id, { by: name, acs: sp.acs_urls });
    return reply.redirect('/admin/saml?notice=saml.admin.added', 303);
  });
  app.post('/admin/saml/sps/remove', async (request, reply) => {
    const name = await admin(request);
    const entityId = String((request.body as { entityId?: unknown } | undefined)?.entityId ?? '');
    if (!(await deps.providers.remove(entityId))) throw new AppError('not_found', 404);
    await deps.audit?.(request, 'saml.sp.removed', entityId, { by: name });
    return reply.redirect('/admin/saml?notice=saml.admin.removed', 303);
  });
  app.post('/admin/saml/keys/rotate', async (request, reply) => {
    const name = await admin(request);
    await deps.keys.rotate();
    await deps.audit?.(request, 'saml.key.rotated', 'idp', { by: name });
    return reply.redirect('/admin/saml?notice=saml.admin.rotated', 303);
  });
}
