import type { FastifyInstance } from 'fastify';
import { adminApi } from '../platform/http/admin-api.ts';
import { createRoleApp, sendPage } from '../platform/http/role-app.ts';
import { sessions } from '../platform/http/sessions.ts';
import type { Catalogue } from '../platform/i18n/i18n.ts';
import { databaseReady } from '../platform/runtime/boot.ts';
import type { RoleContext } from '../platform/runtime/role.ts';
import { html } from '../platform/views/html.ts';
import { page } from '../platform/views/layout.ts';
import { registerAccountRoutes } from './account/routes.ts';
import { registerAdminApi } from './admin-api.ts';
import { registerPublicRoutes } from './content/routes.ts';
import { registerLoginRoutes } from './login/routes.ts';
import { loadSignedIn } from './login/session.ts';
import { registerManageRoutes } from './manage/routes.ts';
import { countyMessages } from './messages.ts';
import { registerProfileRoutes } from './profile/routes.ts';
import { registerRegistrationRoutes } from './registration/routes.ts';
import { registerReviewRoutes } from './review/routes.ts';
import type { CountyTables } from './schema.ts';
import { type County, countyServices } from './services.ts';
import { listTenants, type Tenant } from './tenants/tenants.ts';

/**
 * Something that adds routes to every county tenant (the OIDC provider does). `registerTenant`
 * runs inside the tenant's encapsulated plugin: routes are below `/{tenant}`, `request.session` is
 * that tenant's session (cookie `edugate_county_{tenant}`, path `/{tenant}`), and
 * `request.countyAccount` is the signed-in account when there is one.
 */
export interface CountyExtension {
  name: string;
  catalogues?: Catalogue[];
  registerTenant?(tenantApp: FastifyInstance, tenant: Tenant, county: County): Promise<void>;
  /** Runs once on the root app (e.g. admin API routes under `/admin/api`). */
  registerRoot?(app: FastifyInstance, county: County): Promise<void>;
}

export const sessionCookieName = (tenant: string) => `edugate_county_${tenant}`;

/** The county role's HTTP app: one encapsulated plugin per tenant (county) under `/{tenant}`. */
export async function buildCountyApp(
  ctx: RoleContext<CountyTables>,
  extensions: readonly CountyExtension[] = [],
): Promise<FastifyInstance> {
  const county = countyServices(ctx);
  const app = await createRoleApp({
    role: 'county',
    logger: ctx.log,
    catalogues: [countyMessages, ...extensions.flatMap((e) => e.catalogues ?? [])],
    brand: { name: '縣市教師資訊應用服務入口', href: '/' },
    readiness: [databaseReady(ctx as unknown as RoleContext)],
    trustProxy: ctx.config.trustProxy,
    secureCookies: ctx.config.secureCookies,
  });
  app.decorateRequest('countyAccount', undefined);
  const tenants = await listTenants(county.db);

  app.get('/', async (request, reply) =>
    sendPage(
      reply,
      page(request, {
        title: request.t('portal.chooser.title'),
        brand: app.brand,
        main: html`<h1>${request.t('portal.chooser.title')}</h1>
${tenants.length === 0 ? html`<p>${request.t('portal.chooser.none')}</p>` : ''}
<ul>${tenants.map((t) => html`<li><a href="/${t.code}">${t.portal_name}</a></li>`)}</ul>`,
      }),
    ),
  );

  for (const tenant of tenants) {
    await app.register(
      async (tenantApp) => {
        tenantApp.brand = { name: tenant.portal_name, href: `/${tenant.code}` };
        await tenantApp.register(sessions, {
          store: ctx.sessionStore(`county:${tenant.code}`),
          cookieName: sessionCookieName(tenant.code),
          cookiePath: `/${tenant.code}`,
          secure: ctx.config.secureCookies,
        });
        tenantApp.addHook('onRequest', async (request) => {
          request.countyAccount = await loadSignedIn(county, request, tenant.code);
        });
        await registerPublicRoutes(tenantApp, county, tenant);
        await registerLoginRoutes(tenantApp, county, tenant);
        await registerRegistrationRoutes(tenantApp, county, tenant);
        await registerReviewRoutes(tenantApp, county, tenant);
        await registerProfileRoutes(tenantApp, county, tenant);
        await registerAccountRoutes(tenantApp, county, tenant);
        await registerManageRoutes(tenantApp, county, tenant);
        for (const extension of extensions) await extension.registerTenant?.(tenantApp, tenant, county);
      },
      { prefix: `/${tenant.code}` },
    );
  }

  await adminApi(app, ctx.secrets.adminToken, (api) => registerAdminApi(api, county));
  for (const extension of extensions) await extension.registerRoot?.(app, county);
  return app;
}
