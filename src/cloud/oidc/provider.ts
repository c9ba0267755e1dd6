import type { FastifyInstance } from 'fastify';
import {
  type OidcAccountPort,
  OidcProvider,
  type OidcProviderOptions,
  wantedClaims,
} from '../../platform/oidc/index.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import type { AccountWithIdentities } from '../account/accounts.ts';
import { ReleasableAccounts } from '../account/releasable.ts';
import type { CloudTables } from '../schema.ts';
import type { CloudServices } from '../services.ts';
import { cloudClaims } from './claims.ts';
import { CLOUD_CONSENT_LINES, CLOUD_SCOPES } from './scopes.ts';

/** The cloud's issuer key in its database (one issuer per cloud). */
export const CLOUD_TENANT = 'default';

/** The cloud issuer: its host port reads an account with its county identities. */
export type CloudIssuer = OidcProvider<AccountWithIdentities>;

/**
 * The cloud accounts as the provider sees them (the host port): an account and its county
 * identities (for `eduinfo`), read once per request. Suspended accounts can neither start an
 * authorization nor use their tokens.
 */
export function cloudAccountPort(
  services: CloudServices,
  accounts: ReleasableAccounts,
): OidcAccountPort<AccountWithIdentities> {
  return {
    // Tokens from this node's copy, which every change of the account drops at once; an
    // authorization reads the account as it is now, unless the browser's sign-in brings it
    // (`cloudHostSession`: with its row, from the copies while neither changed).
    prefetch: (id, use) => (use === 'token' ? accounts.current(id) : accounts.fresh(id)),
    findAccount(record) {
      if (record.account.state !== 'active') return undefined;
      return {
        accountId: record.account.id,
        claims: async (_use, scope, claims) => ({
          ...(await cloudClaims(services, record, wantedClaims(CLOUD_SCOPES, scope, claims))),
        }),
      };
    },
  };
}

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
  hooks: Pick<
    OidcProviderOptions<unknown, AccountWithIdentities>,
    'onProvider' | 'hostSession' | 'hostSignOut'
  > = {},
  accounts = new ReleasableAccounts(ctx.db, services.accounts),
): Promise<CloudIssuer> {
  await accounts.follow(ctx.notifications, ctx.log);
  const oidc = await OidcProvider.create({
    tenant: CLOUD_TENANT,
    issuer: ctx.urls.cloud,
    db: ctx.db,
    dbKind: ctx.dbKind,
    redis: ctx.redis,
    notifications: ctx.notifications,
    redisNotifications: ctx.redisNotifications,
    installationSecret: ctx.secrets.secret,
    registrationToken: ctx.secrets.registrationToken,
    scopes: CLOUD_SCOPES,
    consentLines: CLOUD_CONSENT_LINES,
    accounts: cloudAccountPort(services, accounts),
    i18n: app.i18n,
    brand: app.brand,
    secureCookies: ctx.config.secureCookies,
    trustProxy: ctx.config.trustProxy,
    log: ctx.log,
    jobs: ctx.jobs,
    ...hooks,
  });
  app.addHook('onClose', async () => {
    await accounts.close();
    await oidc.close();
  });
  return oidc;
}
