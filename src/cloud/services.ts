import { createHmac } from 'node:crypto';
import { PasswordHasher } from '../identity/index.ts';
import type { OidcProvider } from '../platform/oidc/index.ts';
import type { RoleContext } from '../platform/runtime/role.ts';
import { SecretBox } from '../platform/security/secret-box.ts';
import { SignedLinks } from '../platform/security/signed-link.ts';
import { Throttle } from '../platform/security/throttle.ts';
import { type CloudAccount, CloudAccounts } from './account/accounts.ts';
import { BrowserSessions } from './account/browser-sessions.ts';
import { COUNTY_CLIENT_PURPOSE, CountyRegistry } from './broker/counties.ts';
import { CountyBroker } from './broker/county-broker.ts';
import type { CloudDb } from './db.ts';
import { LoginFlows } from './first-login/flows.ts';
import { CustomRoles } from './roles/custom-roles.ts';
import type { CloudTables } from './schema.ts';

/** Everything the cloud's screens and APIs share, built once per app (available as `app.cloud`). */
export interface CloudServices {
  ctx: RoleContext<CloudTables>;
  db: CloudDb;
  accounts: CloudAccounts;
  /** Signed-in browsers (`cloud_sessions`). */
  sessions: BrowserSessions;
  counties: CountyRegistry;
  broker: CountyBroker;
  flows: LoginFlows;
  roles: CustomRoles;
  hasher: PasswordHasher;
  loginThrottle: Throttle;
  links: SignedLinks;
  /** `name@mail.edu.tw` (the domain comes from the configuration). */
  emailOf(account: Pick<CloudAccount, 'name'>): string;
  /** Keyed hash of a county `guid` claim: what the cloud stores to recognise the person. */
  guidHash(guid: string): string;
  /** The cloud's OIDC provider (set when the app mounts it). */
  oidc?: OidcProvider;
  /** The applications an account authorized (set once the OIDC provider is mounted). */
  grants?: AuthorizedApplications;
}

/** What the account page needs from the OIDC provider's consent store. */
export interface AuthorizedApplications {
  list(accountId: string): Promise<Array<{ clientId: string; name: string; scopes: string[] }>>;
  revoke(accountId: string, clientId: string): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    cloud: CloudServices;
  }
}

let sharedHasher: PasswordHasher | undefined;

function hasherFor(ctx: RoleContext<CloudTables>): PasswordHasher {
  sharedHasher ??= new PasswordHasher({
    ...(ctx.config.argon2Concurrency > 0 ? { maxConcurrency: ctx.config.argon2Concurrency } : {}),
    maxQueue: ctx.config.argon2Queue,
  });
  return sharedHasher;
}

export function createCloudServices(
  ctx: RoleContext<CloudTables>,
  overrides: { hasher?: PasswordHasher } = {},
): CloudServices {
  const db = ctx.db as CloudDb;
  const counties = new CountyRegistry(db, new SecretBox(ctx.secrets.secret, COUNTY_CLIENT_PURPOSE));
  const guidKey = createHmac('sha256', ctx.secrets.blindIndexKey).update('cloud-guid').digest();
  const services: CloudServices = {
    ctx,
    db,
    accounts: new CloudAccounts(db),
    sessions: new BrowserSessions(db),
    counties,
    broker: new CountyBroker(counties, { callbackUrl: `${ctx.urls.cloud}/cncreturnpage`, log: ctx.log }),
    flows: new LoginFlows(db),
    roles: new CustomRoles(db),
    hasher: overrides.hasher ?? hasherFor(ctx),
    loginThrottle: new Throttle(ctx.throttleStore('cloud-login')),
    links: new SignedLinks(ctx.secrets.secret, `${ctx.urls.cloud}#links`),
    emailOf: (account) => `${account.name}@${ctx.config.cloudMailDomain}`,
    guidHash: (guid) => createHmac('sha256', guidKey).update(guid.trim().toLowerCase()).digest('hex'),
  };
  return services;
}
