import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { type OidcAccount, OidcProvider } from '../../platform/oidc/index.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import type { CloudTables } from '../schema.ts';
import type { CloudServices } from '../services.ts';
import { cloudClaims } from './claims.ts';
import { CLOUD_CONSENT_LINES, CLOUD_SCOPES } from './scopes.ts';

/** The cloud's issuer key in its database (one issuer per cloud). */
export const CLOUD_TENANT = 'default';

/**
 * The education cloud's OpenID Connect provider at the cloud's origin (SPEC §4), built on the
 * platform core. Suspended accounts can neither start an authorization nor use their tokens.
 */
export async function createCloudProvider(
  ctx: RoleContext<CloudTables>,
  services: CloudServices,
  app: FastifyInstance,
): Promise<OidcProvider> {
  return OidcProvider.create({
    tenant: CLOUD_TENANT,
    issuer: ctx.urls.cloud,
    db: ctx.db as unknown as Kysely<unknown>,
    redis: ctx.redis,
    installationSecret: ctx.secrets.secret,
    registrationToken: ctx.secrets.registrationToken,
    scopes: CLOUD_SCOPES,
    consentLines: CLOUD_CONSENT_LINES,
    accounts: {
      async findAccount(accountId): Promise<OidcAccount | undefined> {
        const account = await services.accounts.byId(accountId);
        if (account?.state !== 'active') return undefined;
        return { accountId, claims: async () => ({ ...(await cloudClaims(services, account)) }) };
      },
    },
    i18n: app.i18n,
    brand: app.brand,
    secureCookies: ctx.config.secureCookies,
    trustProxy: ctx.config.trustProxy,
    log: ctx.log,
  });
}
