import { DEMO_CLIENTS } from '../../platform/federation/clients.ts';
import { adminApi } from '../../platform/http/admin-api.ts';
import {
  DELIVER_SECURITY_EVENT_JOB,
  oidcIssuerSigningKeys,
  ReceiverRegistry,
  securityEventAdminRoutes,
  securityEventDelivery,
} from '../../platform/security-events/index.ts';
import type { CountyExtension } from '../app.ts';
import type { County } from '../services.ts';
import { findTenant, listTenants } from '../tenants/tenants.ts';

/** The delivery job: SETs signed with the tenant issuer's OIDC signing key. */
export function registerSecurityEventJobs(county: County): void {
  const { ctx } = county;
  ctx.jobs.register(
    DELIVER_SECURITY_EVENT_JOB,
    securityEventDelivery({
      db: county.db,
      log: ctx.log,
      signingKey: oidcIssuerSigningKeys(county.db, ctx.secrets.secret),
    }),
  );
}

/** `edugate events … --role county --tenant T` through the county's admin API. */
export function countySecurityEventsExtension(): CountyExtension {
  return {
    name: 'county-security-events',
    async registerRoot(app, county) {
      await adminApi(app, county.ctx.secrets.adminToken, (api) =>
        securityEventAdminRoutes(api, {
          db: county.db,
          tenantExists: async (tenant) => (await findTenant(county.db, tenant)) !== undefined,
        }),
      );
    },
  };
}

/** Demo: every county pushes its account events to the education cloud's receiver. */
export async function seedSecurityEventReceivers(county: County): Promise<void> {
  const registry = new ReceiverRegistry(county.db);
  const url = `${county.ctx.urls.cloud.replace(/\/+$/, '')}/secevent/county`;
  for (const tenant of await listTenants(county.db)) {
    const existing = (await registry.list(tenant.code)).find((r) => r.url === url);
    if (existing?.audience === DEMO_CLIENTS.cloudAtCounty.clientId) continue;
    await registry.save({ tenant: tenant.code, url, audience: DEMO_CLIENTS.cloudAtCounty.clientId });
  }
}
