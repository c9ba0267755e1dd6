import type { FastifyInstance } from 'fastify';
import { adminApi } from '../platform/http/admin-api.ts';
import { createRoleApp } from '../platform/http/role-app.ts';
import { sessions } from '../platform/http/sessions.ts';
import { mountBackchannelLogout } from '../platform/oidc/index.ts';
import { dependencyChecks } from '../platform/runtime/boot.ts';
import type { RoleContext } from '../platform/runtime/role.ts';
import { mountCloudEvents } from './activation/cloud-events.ts';
import { CloudLogin } from './activation/cloud-login.ts';
import { mountGoogleLookup } from './activation/google-lookup.ts';
import { activationRoutes } from './activation/routes.ts';
import { BACKCHANNEL_LOGOUT_PATH, cloudLogoutReceiver } from './activation/sessions.ts';
import { workspaceAdminRoutes } from './admin/api.ts';
import { adminRoutes } from './admin/routes.ts';
import { workspaceMessages } from './messages.ts';
import type { WorkspaceTables } from './schema.ts';

/**
 * The activation portal's HTTP app: the admin API, the cloud's security events, Google address
 * lookups and back-channel logout on the root context; in a browser context with the portal
 * session, the activation pages and the admin page.
 */
export async function buildWorkspaceApp(ctx: RoleContext<WorkspaceTables>): Promise<FastifyInstance> {
  const app = await createRoleApp({
    role: 'workspace',
    logger: ctx.log,
    catalogues: [workspaceMessages],
    readiness: dependencyChecks(ctx),
    brand: { name: workspaceMessages['zh-TW']['ws.brand'], href: '/' },
    trustProxy: ctx.config.trustProxy,
    secureCookies: ctx.config.secureCookies,
  });
  const login = new CloudLogin(ctx);

  await adminApi(app, ctx.secrets.adminToken, (api) => workspaceAdminRoutes(api, ctx));
  // A cloud account suspended or reactivated, pushed by the cloud as a security event (RFC 8935).
  await mountCloudEvents(app, ctx);
  // The cloud's questions about Google addresses (the SAML linking rule, free names).
  await mountGoogleLookup(app, ctx);
  // The cloud's back-channel logout (OpenID Connect Back-Channel Logout 1.0).
  await mountBackchannelLogout(app, BACKCHANNEL_LOGOUT_PATH, cloudLogoutReceiver(ctx));

  await app.register(async (site) => {
    await site.register(sessions, {
      store: ctx.sessionStore('workspace'),
      cookieName: 'edugate_workspace',
      secure: ctx.config.secureCookies,
    });
    activationRoutes(site, ctx, login);
    adminRoutes(site, ctx);
  });
  return app;
}
