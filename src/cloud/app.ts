import type { FastifyInstance } from 'fastify';
import { adminApi } from '../platform/http/admin-api.ts';
import { createRoleApp } from '../platform/http/role-app.ts';
import { sessions } from '../platform/http/sessions.ts';
import { mountBackchannelLogout, oidcAdminRoutes } from '../platform/oidc/index.ts';
import { dependencyChecks } from '../platform/runtime/boot.ts';
import type { RoleContext } from '../platform/runtime/role.ts';
import { html } from '../platform/views/html.ts';
import { accountRoutes } from './account/account-routes.ts';
import { loginRoutes } from './account/login-routes.ts';
import { passwordResetRoutes } from './account/password-reset-routes.ts';
import { ReleasableAccounts } from './account/releasable.ts';
import { signOutRoutes } from './account/sign-out-routes.ts';
import { cloudAdminRoutes } from './admin/api.ts';
import { clientConsoleRoutes } from './admin/clients.ts';
import { adminConsoleRoutes } from './admin/console.ts';
import { countyLoginRoutes } from './broker/county-login.ts';
import { COUNTY_LOGOUT_PATH, countyLogoutReceiver } from './broker/county-logout.ts';
import { firstLoginRoutes } from './first-login/routes.ts';
import { cloudMessages } from './messages.ts';
import { authorizedApplications } from './oidc/grants.ts';
import { CLOUD_TENANT, createCloudProvider } from './oidc/provider.ts';
import {
  cloudHostSession,
  cloudHostSignOut,
  mountCloudInteractions,
  mountCloudProtocol,
} from './oidc/routes.ts';
import { seedCloudClients } from './oidc/seed-clients.ts';
import type { CloudTables } from './schema.ts';
import { mountCloudSecurityEvents } from './security-events/setup.ts';
import { type CloudServices, createCloudServices } from './services.ts';
import { currentCloudAccount } from './session.ts';
import { sendCloudPage } from './views.ts';

/**
 * A feature mounted on the cloud app by another context (e.g. the SAML IdP): it registers its
 * routes on `app` (the cloud's browser context, where the cloud session runs) and may use the
 * cloud's services.
 */
export type CloudExtension = (app: FastifyInstance, services: CloudServices) => Promise<void> | void;

export const CLOUD_SESSION_COOKIE = 'edugate_cloud';

/**
 * The education cloud's HTTP app: the OIDC provider and resource APIs on the root context, and
 * in a browser context with the cloud session: login, county brokering, first login, account
 * pages, the admin console, and the extensions.
 */
export async function buildCloudApp(
  ctx: RoleContext<CloudTables>,
  extensions: CloudExtension[] = [],
  options: { services?: CloudServices } = {},
): Promise<FastifyInstance> {
  const app = await createRoleApp({
    role: 'cloud',
    logger: ctx.log,
    catalogues: [cloudMessages],
    brand: { name: '教育雲', nameKey: 'cloud.brand', href: '/' },
    trustProxy: ctx.config.trustProxy,
    secureCookies: ctx.config.secureCookies,
    readiness: dependencyChecks(ctx),
  });
  const services = options.services ?? createCloudServices(ctx);
  app.decorate('cloud', services);
  await services.counties.follow(ctx.notifications, ctx.log);
  app.addHook('onClose', () => services.counties.close());

  const sessionStore = ctx.sessionStore('cloud');
  // The accounts as the provider reads them (kept on this node while no change is announced).
  const accounts = new ReleasableAccounts(ctx.db, services.accounts);
  const oidc = await createCloudProvider(
    ctx,
    services,
    app,
    {
      hostSession: cloudHostSession(services, sessionStore, CLOUD_SESSION_COOKIE, accounts),
      hostSignOut: cloudHostSignOut(services, sessionStore, CLOUD_SESSION_COOKIE),
    },
    accounts,
  );
  services.oidc = oidc;
  services.grants = authorizedApplications(oidc);
  if (ctx.demo) await seedCloudClients(ctx, oidc);
  await mountCloudProtocol(app, oidc, services);
  await adminApi(app, ctx.secrets.adminToken, (api) => {
    cloudAdminRoutes(api, services);
    oidcAdminRoutes(api, (tenant) => (tenant === CLOUD_TENANT ? oidc : undefined));
  });
  await mountCloudSecurityEvents(app, services);
  await mountBackchannelLogout(app, COUNTY_LOGOUT_PATH, countyLogoutReceiver(services));

  await app.register(async (site) => {
    await site.register(sessions, {
      store: sessionStore,
      cookieName: CLOUD_SESSION_COOKIE,
      secure: ctx.config.secureCookies,
      // Visitors without a session (the login page) get a signed form-token cookie, no session row.
      formTokenKey: ctx.secrets.secret,
    });

    site.get('/', async (request, reply) => {
      const t = request.t;
      const account = await currentCloudAccount(request);
      const domain = `@${ctx.config.cloudMailDomain}`;
      return sendCloudPage(request, reply, {
        title: t('cloud.home.title'),
        account,
        main: html`<h1>${t('cloud.home.title')}</h1>
<p>${t('cloud.home.intro', { domain })}</p>
${
  account
    ? html`<p>${t('cloud.home.signed_in', { email: services.emailOf(account) })} <a href="/account">${t('cloud.nav.account')}</a></p>`
    : html`<p><a class="button" href="/login">${t('cloud.home.login')}</a></p>`
}`,
      });
    });

    loginRoutes(site);
    signOutRoutes(site);
    countyLoginRoutes(site);
    firstLoginRoutes(site);
    accountRoutes(site);
    passwordResetRoutes(site);
    adminConsoleRoutes(site);
    clientConsoleRoutes(site);
    await mountCloudInteractions(site, oidc);
    for (const extension of extensions) await extension(site, services);
  });
  return app;
}
