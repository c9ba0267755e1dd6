import type { FastifyInstance } from 'fastify';
import { DEMO_CLIENTS, demoClientSecret } from '../../platform/federation/clients.ts';
import { adminApi } from '../../platform/http/admin-api.ts';
import { mountProtocol, OidcProvider, oidcAdminRoutes, oidcMessages } from '../../platform/oidc/index.ts';
import type { RoleModule } from '../../platform/runtime/role.ts';
import type { ReleasableAccount } from '../accounts/claims.ts';
import { ReleasableAccounts } from '../accounts/releasable.ts';
import type { CountyExtension } from '../app.ts';
import type { County } from '../services.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { countyAccountPort, countyPrompts } from './accounts.ts';
import { registerOidcConsole } from './console.ts';
import { registerCountyInteractions } from './interactions.ts';
import { countyOidcMessages } from './messages.ts';
import { countyOidcMigrations } from './migrations.ts';
import { registerCountyResources } from './resources.ts';
import { COUNTY_CONSENT_LINES, COUNTY_SCOPES, RESTRICTED_SCOPES } from './scopes.ts';
import { countyHostSession, countyHostSignOut, registerProviderSignOuts } from './sign-out.ts';

const MAINTENANCE_MS = 10 * 60_000;

/** A county issuer: its host port reads the county's releasable accounts. */
type Issuer = OidcProvider<ReleasableAccount>;

/** The education cloud as a client of a county in the demo (SPEC §2: `openid exchangedata`). */
export async function seedDemoClients(oidc: OidcProvider, county: County, tenant: string): Promise<void> {
  const { cloudAtCounty } = DEMO_CLIENTS;
  const cloudUrl = (path: string) => `${county.ctx.urls.cloud.replace(/\/$/, '')}${path}`;
  await oidc.clients.ensure({
    clientId: cloudAtCounty.clientId,
    clientSecret: demoClientSecret(county.ctx.secrets.secret, `cloud-at-${tenant}`),
    name: '教育雲端帳號',
    redirectUris: [cloudUrl(cloudAtCounty.redirectPath)],
    postLogoutRedirectUris: [cloudUrl('/'), cloudUrl('/signed-out')],
    backchannelLogoutUri: cloudUrl('/backchannel-logout/county'),
    scopes: ['openid', 'exchangedata', 'profile', 'email', 'eduinfo', 'guid'],
  });
}

/**
 * The county OpenID Connect provider as a county portal extension: one issuer per tenant at
 * `{county URL}/{tenant}` with the SPEC §4 paths, the county login as its login page, the
 * cncresource APIs, the client console, the admin API for the CLI, and the demo clients.
 */
export function countyOidcExtension(): CountyExtension & { migrations: RoleModule['migrations'] } {
  // One set of issuers per booted role (a process may boot the role more than once, e.g. tests).
  const perRole = new WeakMap<
    County,
    { issuers: Map<string, Promise<Issuer>>; ready: Map<string, Issuer>; accounts: ReleasableAccounts }
  >();
  const stateOf = (county: County) => {
    let state = perRole.get(county);
    if (!state) {
      const ready = new Map<string, Issuer>();
      state = { issuers: new Map(), ready, accounts: new ReleasableAccounts(county.db) };
      perRole.set(county, state);
      registerProviderSignOuts(county, (tenant) => ready.get(tenant));
    }
    return state;
  };

  const issuerFor = (app: FastifyInstance, county: County, tenant: Tenant) => {
    const { issuers, ready, accounts } = stateOf(county);
    let pending = issuers.get(tenant.code);
    if (!pending) {
      pending = OidcProvider.create({
        tenant: tenant.code,
        issuer: county.tenantUrl(tenant.code),
        routePrefix: `/${tenant.code}`,
        db: county.ctx.db,
        dbKind: county.ctx.dbKind,
        redis: county.ctx.redis,
        notifications: county.ctx.notifications,
        redisNotifications: county.ctx.redisNotifications,
        installationSecret: county.ctx.secrets.secret,
        registrationToken: county.ctx.secrets.registrationToken,
        scopes: COUNTY_SCOPES,
        restrictedScopes: [...RESTRICTED_SCOPES],
        consentLines: COUNTY_CONSENT_LINES,
        accounts: countyAccountPort(county, tenant.code, accounts),
        prompts: countyPrompts(),
        hostSession: countyHostSession(county, tenant.code, accounts),
        hostSignOut: countyHostSignOut(county, tenant.code),
        i18n: app.i18n,
        // Read when a page renders: an edit of the tenant shows at once (see TenantPortals).
        brand: {
          get name() {
            return tenant.portal_name;
          },
          href: `/${tenant.code}`,
        },
        secureCookies: county.ctx.config.secureCookies,
        trustProxy: county.ctx.config.trustProxy,
        log: county.ctx.log.child({ oidc: tenant.code }),
        jobs: county.ctx.jobs,
      }).then((oidc) => {
        ready.set(tenant.code, oidc);
        return oidc;
      });
      issuers.set(tenant.code, pending);
    }
    return pending;
  };

  return {
    name: 'county-oidc',
    migrations: countyOidcMigrations,
    catalogues: [oidcMessages, countyOidcMessages],
    async registerTenant(tenantApp, tenant, county) {
      const oidc = await issuerFor(tenantApp, county, tenant);
      await registerCountyInteractions(tenantApp, oidc, county, tenant);
      await registerOidcConsole(tenantApp, oidc, county, tenant);
    },
    async registerTenantRoot(app, tenant, county) {
      const oidc = await issuerFor(app, county, tenant);
      // Protocol endpoints and resource APIs sit outside the tenant plugin: no browser session.
      await mountProtocol(app, oidc);
      await registerCountyResources(app, oidc, county, tenant.code);
      if (county.ctx.demo) await seedDemoClients(oidc, county, tenant.code);
    },
    async registerRoot(app, county) {
      const { ready, accounts } = stateOf(county);
      await accounts.follow(county.ctx.notifications, county.ctx.log);
      app.addHook('onClose', async () => {
        await accounts.close();
        await Promise.all([...ready.values()].map((oidc) => oidc.close()));
      });
      await adminApi(app, county.ctx.secrets.adminToken, (api) =>
        oidcAdminRoutes(api, (tenant) => ready.get(tenant)),
      );
      const timer = setInterval(() => {
        for (const oidc of ready.values()) {
          oidc
            .maintain()
            .catch((error: unknown) => county.ctx.log.warn({ err: error }, 'oidc maintenance failed'));
        }
      }, MAINTENANCE_MS);
      timer.unref();
      app.addHook('onClose', async () => clearInterval(timer));
    },
  };
}
