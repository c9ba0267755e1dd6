import type { FastifyInstance } from 'fastify';
import { adminApi } from '../platform/http/admin-api.ts';
import { createRoleApp, type RoleAppOptions, sendPage } from '../platform/http/role-app.ts';
import { sessions } from '../platform/http/sessions.ts';
import type { Catalogue } from '../platform/i18n/i18n.ts';
import type { RoleMetrics } from '../platform/observability/metrics.ts';
import { dependencyChecks } from '../platform/runtime/boot.ts';
import type { RoleContext } from '../platform/runtime/role.ts';
import { html } from '../platform/views/html.ts';
import { page } from '../platform/views/layout.ts';
import { registerAccountRoutes } from './accounts/routes.ts';
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
import { TenantPortals } from './tenants/portals.ts';
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
  /**
   * Runs once per tenant on the app serving it, outside the tenant's plugin (no session, no
   * signed-in account): protocol endpoints and APIs below `/{tenant}` that browsers do not sign in to.
   */
  registerTenantRoot?(app: FastifyInstance, tenant: Tenant, county: County): Promise<void>;
  /** Runs once on the root app (e.g. admin API routes under `/admin/api`). */
  registerRoot?(app: FastifyInstance, county: County): Promise<void>;
}

export const sessionCookieName = (tenant: string) => `edugate_county_${tenant}`;

/**
 * The county role's HTTP app: one encapsulated plugin per tenant (county) under `/{tenant}`. A
 * tenant created while the app runs gets an app of its own built by the same code (tenants/portals.ts).
 * Every portal reads its tenant's record when it renders, and TenantPortals keeps that record current.
 */
export async function buildCountyApp(
  ctx: RoleContext<CountyTables>,
  extensions: readonly CountyExtension[] = [],
): Promise<FastifyInstance> {
  const county = countyServices(ctx);
  const app = await createRoleApp(appOptions(ctx, extensions));
  app.decorateRequest('countyAccount', undefined);
  const tenants = await listTenants(county.db);
  const portals = new TenantPortals({
    db: county.db,
    log: ctx.log,
    atBoot: tenants,
    build: (tenant) => buildTenantApp(ctx, extensions, tenant, app.metrics),
  });
  app.addDelegate((request) => portals.appFor(request));
  app.addHook('onClose', () => portals.close());

  app.get('/', async (request, reply) => {
    const all = await listTenants(county.db);
    return sendPage(
      reply,
      page(request, {
        title: request.t('portal.chooser.title'),
        brand: app.brand,
        main: html`<h1>${request.t('portal.chooser.title')}</h1>
${all.length === 0 ? html`<p>${request.t('portal.chooser.none')}</p>` : ''}
<ul>${all.map((t) => html`<li><a href="/${t.code}">${t.portal_name}</a></li>`)}</ul>`,
      }),
    );
  });

  for (const tenant of tenants) await registerTenantPortal(app, ctx, extensions, tenant);

  await adminApi(app, ctx.secrets.adminToken, (api) => registerAdminApi(api, county, portals));
  for (const extension of extensions) await extension.registerRoot?.(app, county);
  await portals.watch(ctx.notifications);
  return app;
}

function appOptions(ctx: RoleContext<CountyTables>, extensions: readonly CountyExtension[]): RoleAppOptions {
  return {
    role: 'county',
    logger: ctx.log,
    catalogues: [countyMessages, ...extensions.flatMap((e) => e.catalogues ?? [])],
    brand: { name: '縣市教師資訊應用服務入口', nameKey: 'portal.chooser.title', href: '/' },
    readiness: dependencyChecks(ctx),
    trustProxy: ctx.config.trustProxy,
    secureCookies: ctx.config.secureCookies,
  };
}

/** The app of one tenant created while the role runs: the same portal, made ready to be handed requests. */
async function buildTenantApp(
  ctx: RoleContext<CountyTables>,
  extensions: readonly CountyExtension[],
  tenant: Tenant,
  metrics: RoleMetrics,
): Promise<FastifyInstance> {
  const app = await createRoleApp({ ...appOptions(ctx, extensions), metrics });
  app.decorateRequest('countyAccount', undefined);
  try {
    await registerTenantPortal(app, ctx, extensions, tenant);
    await app.ready();
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}

/** The flows of a tenant's portal, each with its routes, in the order they are registered. */
const PORTAL_FLOWS = [
  registerPublicRoutes,
  registerLoginRoutes,
  registerRegistrationRoutes,
  registerReviewRoutes,
  registerProfileRoutes,
  registerAccountRoutes,
  registerManageRoutes,
];

/** A tenant's portal under `/{tenant}`: its plugin (session, pages, consoles) and its root routes. */
async function registerTenantPortal(
  app: FastifyInstance,
  ctx: RoleContext<CountyTables>,
  extensions: readonly CountyExtension[],
  tenant: Tenant,
): Promise<void> {
  const county = countyServices(ctx);
  await app.register(
    async (tenantApp) => {
      // Read when a page renders: an edit of the tenant shows at once (see TenantPortals).
      tenantApp.brand = {
        get name() {
          return tenant.portal_name;
        },
        href: `/${tenant.code}`,
      };
      await tenantApp.register(sessions, {
        store: ctx.sessionStore(`county:${tenant.code}`),
        cookieName: sessionCookieName(tenant.code),
        cookiePath: `/${tenant.code}`,
        secure: ctx.config.secureCookies,
        formTokenKey: ctx.secrets.secret,
      });
      tenantApp.addHook('onRequest', async (request) => {
        request.countyAccount = await loadSignedIn(county, request, tenant.code);
      });
      for (const register of PORTAL_FLOWS) await register(tenantApp, county, tenant);
      for (const extension of extensions) await extension.registerTenant?.(tenantApp, tenant, county);
    },
    { prefix: `/${tenant.code}` },
  );
  for (const extension of extensions) await extension.registerTenantRoot?.(app, tenant, county);
}
