import { createHmac } from 'node:crypto';
import { PasswordHasher } from '../identity/index.ts';
import type { OidcProvider } from '../platform/oidc/index.ts';
import type { RoleContext } from '../platform/runtime/role.ts';
import { DeviceCookies } from '../platform/security/device-cookie.ts';
import { ProofOfWork } from '../platform/security/proof-of-work.ts';
import { SecretBox } from '../platform/security/secret-box.ts';
import { SignInGuard } from '../platform/security/sign-in-guard.ts';
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
  /** The login budgets and proof-of-work challenge (see sign-in-guard.ts). */
  signInGuard: SignInGuard;
  /** Device cookies: a browser that signed in keeps a login budget of its own for the account. */
  deviceCookies: DeviceCookies;
  /** Requests per client address: forgotten passwords, account-name availability checks. */
  addressThrottle: { forgot: Throttle; nameCheck: Throttle };
  /** Password attempts of a county identity at the account its national ID matched (first login). */
  linkThrottle: Throttle;
  links: SignedLinks;
  /** `name@mail.edu.tw` (the domain comes from the configuration). */
  emailOf(account: Pick<CloudAccount, 'name'>): string;
  /** Keyed hash of a county `guid` claim: what the cloud stores to recognise the person. */
  guidHash(guid: string): string;
  /** The cloud's OIDC provider (set when the app mounts it). */
  oidc?: OidcProvider;
  /**
   * Whether the Google address of a new cloud name is free (`unknown`: it cannot be checked now).
   * Set by the SAML IdP when it asserts addresses of the workspace domain; absent: not checked.
   */
  googleNames?: (name: string) => Promise<'free' | 'taken' | 'unknown'>;
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

/** Forgotten-password requests per client address and hour (a school's whole staff fits). */
export const FORGOT_PER_ADDRESS = { limit: 60, windowSeconds: 3600 };
/** Account-name availability checks per client address and hour (each keystroke pause is one). */
export const NAME_CHECKS_PER_ADDRESS = { limit: 300, windowSeconds: 3600 };
/**
 * Password attempts per county identity and hour at the cloud account its national ID matched, on
 * top of the sign-in budgets of that account and of the client address: someone who typed another
 * person's national ID at the county gets a few guesses, not the account's whole budget.
 */
export const LINK_ATTEMPTS_PER_IDENTITY = { limit: 5, windowSeconds: 3600 };

let sharedHasher: PasswordHasher | undefined;

function hasherFor(ctx: RoleContext<CloudTables>): PasswordHasher {
  sharedHasher ??= new PasswordHasher({
    ...(ctx.config.argon2Concurrency > 0 ? { maxConcurrency: ctx.config.argon2Concurrency } : {}),
    maxQueue: ctx.config.argon2Queue,
    maxWaitMs: ctx.config.argon2MaxWaitMs,
  });
  return sharedHasher;
}

export function createCloudServices(
  ctx: RoleContext<CloudTables>,
  overrides: { hasher?: PasswordHasher } = {},
): CloudServices {
  const db = ctx.db as CloudDb;
  const counties = new CountyRegistry(db, new SecretBox(ctx.secrets.secret, COUNTY_CLIENT_PURPOSE));
  const throttleStore = ctx.throttleStore('cloud-login');
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
    signInGuard: new SignInGuard({
      store: throttleStore,
      proofOfWork: new ProofOfWork(ctx.secrets.secret, throttleStore),
      purpose: 'cloud:login',
      policy: ctx.config.captcha,
      challengeAfter: ctx.config.captchaAfterFailures,
    }),
    deviceCookies: new DeviceCookies({
      secret: ctx.secrets.secret,
      name: 'edugate_cloud_device',
      path: '/',
      secure: ctx.config.secureCookies,
    }),
    addressThrottle: {
      forgot: new Throttle(ctx.throttleStore('cloud-forgot'), FORGOT_PER_ADDRESS),
      nameCheck: new Throttle(ctx.throttleStore('cloud-name-check'), NAME_CHECKS_PER_ADDRESS),
    },
    linkThrottle: new Throttle(ctx.throttleStore('cloud-link'), LINK_ATTEMPTS_PER_IDENTITY),
    links: new SignedLinks(ctx.secrets.secret, `${ctx.urls.cloud}#links`),
    emailOf: (account) => `${account.name}@${ctx.config.cloudMailDomain}`,
    guidHash: (guid) => createHmac('sha256', guidKey).update(guid.trim().toLowerCase()).digest('hex'),
  };
  return services;
}
