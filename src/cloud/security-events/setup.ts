import type { FastifyInstance } from 'fastify';
import { DEMO_CLIENTS } from '../../platform/federation/clients.ts';
import { adminApi } from '../../platform/http/admin-api.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import {
  DELIVER_SECURITY_EVENT_JOB,
  mountSecurityEventReceiver,
  oidcIssuerSigningKeys,
  ReceiverRegistry,
  securityEventAdminRoutes,
  securityEventDelivery,
} from '../../platform/security-events/index.ts';
import { CLOUD_TENANT } from '../oidc/provider.ts';
import type { CloudTables } from '../schema.ts';
import type { CloudServices } from '../services.ts';
import { countyEventReceiver } from './county-events.ts';

/** Where the counties push their account events (one endpoint; the county is picked by `iss`). */
export const COUNTY_EVENTS_PATH = '/secevent/county';

/** The delivery job of the cloud's own events: SETs signed with the cloud issuer's OIDC key. */
export function registerCloudSecurityEventJobs(ctx: RoleContext<CloudTables>): void {
  ctx.jobs.register(
    DELIVER_SECURITY_EVENT_JOB,
    securityEventDelivery({
      db: ctx.db,
      log: ctx.log,
      signingKey: oidcIssuerSigningKeys(ctx.db, ctx.secrets.secret),
    }),
  );
}

/**
 * The receiver of county events (on the root app: no session, no CSRF token), and the admin API of
 * the cloud's own receivers (`edugate events … --role cloud`).
 */
export async function mountCloudSecurityEvents(app: FastifyInstance, services: CloudServices): Promise<void> {
  await mountSecurityEventReceiver(app, COUNTY_EVENTS_PATH, countyEventReceiver(services));
  await adminApi(app, services.ctx.secrets.adminToken, (api) =>
    securityEventAdminRoutes(api, {
      db: services.db,
      tenantExists: async (tenant) => tenant === CLOUD_TENANT,
    }),
  );
}

/** Demo: the cloud pushes its account events to the workspace portal. */
export async function seedCloudSecurityEventReceivers(ctx: RoleContext<CloudTables>): Promise<void> {
  const registry = new ReceiverRegistry(ctx.db);
  const url = `${ctx.urls.workspace.replace(/\/+$/, '')}/secevent/cloud`;
  const audience = DEMO_CLIENTS.workspaceAtCloud.clientId;
  const existing = (await registry.list(CLOUD_TENANT)).find((r) => r.url === url);
  if (existing?.audience === audience) return;
  await registry.save({ tenant: CLOUD_TENANT, url, audience });
}
