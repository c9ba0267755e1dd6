import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { DEMO_CLIENTS } from '../../platform/federation/clients.ts';
import { adminApi } from '../../platform/http/admin-api.ts';
import { oidcIssuerSigningKeys } from '../../platform/security-events/index.ts';
import { cloudIssuer } from '../account/lifecycle.ts';
import type { CloudExtension } from '../app.ts';
import { CLOUD_TENANT } from '../oidc/provider.ts';
import { cloudAuthentication, cloudLoginUrl, currentCloudAccount } from '../session.ts';
import { samlAdminApi, samlConsole } from './admin.ts';
import { GoogleAccounts, WorkspaceUnavailable } from './google-accounts.ts';
import { type SamlDb, SigningKeys } from './keys.ts';
import { samlMessages } from './messages.ts';
import { ServiceProviders } from './registry.ts';
import { type SamlIdpDeps, ssoRoutes } from './sso.ts';

export { samlMigrations } from './migrations.ts';
export type { SamlTables } from './schema.ts';

export interface SamlIdpOptions extends SamlIdpDeps {
  adminToken: string;
  administrator(request: FastifyRequest): Promise<string | undefined>;
}

/** The SAML 2.0 IdP as a plugin: SSO, metadata, admin console page and admin API routes. */
export async function samlIdp(app: FastifyInstance, options: SamlIdpOptions): Promise<void> {
  app.i18n.add(samlMessages);
  ssoRoutes(app, options);
  samlConsole(app, options);
  await adminApi(app, options.adminToken, (api) => samlAdminApi(api, options));
}

/** Mounts the IdP on the education cloud app, reusing the cloud login session (SSO). */
export const samlCloudExtension: CloudExtension = async (app, services) => {
  const ctx = services.ctx;
  const db: SamlDb = ctx.db;
  const audit = async (
    request: FastifyRequest,
    action: string,
    target: string,
    details: Record<string, unknown>,
  ) => {
    const account = await currentCloudAccount(request);
    await recordAudit(db, { actor: account?.name ?? 'anonymous', action, target, ip: request.ip, details });
  };
  const providers = new ServiceProviders(db);
  const signingKeys = oidcIssuerSigningKeys(ctx.db, ctx.secrets.secret);
  const google = new GoogleAccounts({
    db,
    log: ctx.log.child({ component: 'google-accounts' }),
    issuer: cloudIssuer(ctx),
    audience: ctx.config.workspaceClientId ?? DEMO_CLIENTS.workspaceAtCloud.clientId,
    workspaceUrl: ctx.urls.workspace,
    signingKey: () => signingKeys(CLOUD_TENANT),
  });
  // A new cloud name must not be someone else's Google address, as soon as the IdP asserts
  // addresses of the workspace domain to a service provider.
  services.googleNames = async (name) => {
    const domain = ctx.config.workspaceDomain.toLowerCase();
    const asserted = (await providers.list()).some((sp) => sp.enabled && sp.name_id_domain === domain);
    if (!asserted) return 'free';
    try {
      return (await google.addressAvailable(`${name}@${domain}`)) ? 'free' : 'taken';
    } catch (error) {
      if (!(error instanceof WorkspaceUnavailable)) throw error;
      ctx.log.warn({ err: error.message, name }, 'Google address of a new cloud name cannot be checked');
      return 'unknown';
    }
  };
  await samlIdp(app, {
    keys: new SigningKeys(db, ctx.secrets.secret, 'EduGate education cloud'),
    providers,
    linkedAddress: (account, domain) => google.linkedAddress(account.id, domain),
    activationUrl: ctx.urls.workspace,
    baseUrl: ctx.urls.cloud,
    adminToken: ctx.secrets.adminToken,
    async currentAccount(request) {
      const account = await currentCloudAccount(request);
      if (!account) return undefined;
      const auth = cloudAuthentication(request);
      return {
        id: account.id,
        name: account.name,
        email: services.emailOf(account),
        // Unknown sign-in time: as old as can be (never fresh enough for ForceAuthn).
        authnInstant: new Date((auth?.time ?? 0) * 1000),
      };
    },
    loginUrl: (returnTo, options) => `${cloudLoginUrl(returnTo)}${options?.fresh ? '&reauth=1' : ''}`,
    ssoPerMinute: ctx.config.samlSsoPerMinute,
    async administrator(request) {
      const account = await currentCloudAccount(request);
      return account?.isAdmin ? account.name : undefined;
    },
    audit,
  });
};
