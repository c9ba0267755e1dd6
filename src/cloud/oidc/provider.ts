import type { FastifyInstance } from 'fastify';
import type { Selectable } from 'kysely';
import {
  type AccountRows,
  type OidcAccount,
  OidcProvider,
  type OidcProviderOptions,
  requestScoped,
  wantedClaims,
} from '../../platform/oidc/index.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import { type CloudAccount, cloudAccountFromRow, identitiesFromJson } from '../account/accounts.ts';
import type { CloudTables } from '../schema.ts';
import type { CloudServices } from '../services.ts';
import { cloudClaims, identitiesKey } from './claims.ts';
import { CLOUD_CONSENT_LINES, CLOUD_SCOPES } from './scopes.ts';

/** The cloud's issuer key in its database (one issuer per cloud). */
export const CLOUD_TENANT = 'default';

/**
 * The account row, read once per protocol request or resource API call (token checks, claims,
 * the resource's answer); never kept across requests, so a suspension applies to the next one.
 */
export function loadCloudAccount(services: CloudServices, id: string): Promise<CloudAccount | undefined> {
  return requestScoped(accountKey(id), () => services.accounts.byId(id));
}

const accountKey = (id: string) => `cloud:account:${id}`;

export { cloudAccountFromRow };

/**
 * The provider reads the account, and its county identities (for `eduinfo`), along with the token
 * or session naming it (`loadCloudAccount`, `loadCloudIdentities`).
 */
const CLOUD_ACCOUNT_ROWS: AccountRows = {
  table: 'cloud_accounts',
  id: 'id',
  requestKey: accountKey,
  fromRow: (row) => cloudAccountFromRow(row as Selectable<CloudTables['cloud_accounts']>),
  related: [
    {
      table: 'cloud_identities',
      foreignKey: 'account_id',
      orderBy: { column: 'last_login_at', direction: 'desc' },
      requestKey: identitiesKey,
      fromRows: identitiesFromJson,
    },
  ],
};

/**
 * The education cloud's OpenID Connect provider at the cloud's origin (SPEC §4), built on the
 * platform core. Suspended accounts can neither start an authorization nor use their tokens.
 * Claims are computed for the scopes of each token (county identities only for `eduinfo`, role
 * assignments only for `educloudroles`).
 */
export async function createCloudProvider(
  ctx: RoleContext<CloudTables>,
  services: CloudServices,
  app: FastifyInstance,
  hooks: Pick<OidcProviderOptions, 'onProvider' | 'hostSession' | 'hostSignOut'> = {},
): Promise<OidcProvider> {
  return OidcProvider.create({
    tenant: CLOUD_TENANT,
    issuer: ctx.urls.cloud,
    db: ctx.db,
    dbKind: ctx.dbKind,
    redis: ctx.redis,
    installationSecret: ctx.secrets.secret,
    registrationToken: ctx.secrets.registrationToken,
    scopes: CLOUD_SCOPES,
    consentLines: CLOUD_CONSENT_LINES,
    accounts: {
      rows: CLOUD_ACCOUNT_ROWS,
      async findAccount(accountId): Promise<OidcAccount | undefined> {
        const account = await loadCloudAccount(services, accountId);
        if (account?.state !== 'active') return undefined;
        return {
          accountId,
          claims: async (_use, scope, claims) => ({
            ...(await cloudClaims(services, account, wantedClaims(CLOUD_SCOPES, scope, claims))),
          }),
        };
      },
    },
    i18n: app.i18n,
    brand: app.brand,
    secureCookies: ctx.config.secureCookies,
    trustProxy: ctx.config.trustProxy,
    log: ctx.log,
    jobs: ctx.jobs,
    ...hooks,
  });
}
