import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { adminApi } from '../../platform/http/admin-api.ts';
import type { CloudExtension } from '../app.ts';
import { cloudAuthentication, cloudLoginUrl, currentCloudAccount } from '../session.ts';
import { samlAdminApi, samlConsole } from './admin.ts';
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
  const db = ctx.db as unknown as SamlDb;
  const audit = async (
    request: FastifyRequest,
    action: string,
    target: string,
    details: Record<string, unknown>,
  ) => {
    const account = await currentCloudAccount(request);
    await recordAudit(db, { actor: account?.name ?? 'anonymous', action, target, ip: request.ip, details });
  };
  await samlIdp(app, {
    keys: new SigningKeys(db, ctx.secrets.secret, 'EduGate education cloud'),
    providers: new ServiceProviders(db),
    baseUrl: ctx.urls.cloud,
    adminToken: ctx.secrets.adminToken,
    async currentAccount(request) {
      const account = await currentCloudAccount(request);
      if (!account) return undefined;
      const auth = cloudAuthentication(request);
      return {
        name: account.name,
        email: services.emailOf(account),
        authnInstant: auth ? new Date(auth.time * 1000) : new Date(),
      };
    },
    loginUrl: cloudLoginUrl,
    ssoPerMinute: ctx.config.samlSsoPerMinute,
    async administrator(request) {
      const account = await currentCloudAccount(request);
      return account?.isAdmin ? account.name : undefined;
    },
    audit,
  });
};
