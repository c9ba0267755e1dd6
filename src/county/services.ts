import { availableParallelism } from 'node:os';
import { NationalIdVault, PasswordHasher, parseKeyRing } from '../identity/index.ts';
import type { RoleContext } from '../platform/runtime/role.ts';
import { SignedLinks } from '../platform/security/signed-link.ts';
import { Throttle, type ThrottlePolicy, type ThrottleStore } from '../platform/security/throttle.ts';
import { SignOutHooks } from './account/sign-out.ts';
import type { CountyDb, CountyTables } from './schema.ts';

/** Per account: a few free tries, then delays doubling from 2 s up to 15 min (never a lock-out). */
export const ACCOUNT_THROTTLE: ThrottlePolicy = {
  freeFailures: 5,
  baseDelaySeconds: 2,
  maxDelaySeconds: 15 * 60,
  windowSeconds: 3600,
};

/** Per client address: generous, because a whole school often shares one address. */
export const ADDRESS_THROTTLE: ThrottlePolicy = {
  freeFailures: 30,
  baseDelaySeconds: 1,
  maxDelaySeconds: 5 * 60,
  windowSeconds: 3600,
};

export type CountyContext = RoleContext<CountyTables>;

/** What every county module works with: the database, crypto and the shared policies. */
export interface County {
  ctx: CountyContext;
  db: CountyDb;
  vault: NationalIdVault;
  hasher: PasswordHasher;
  links: SignedLinks;
  accountThrottle: Throttle;
  addressThrottle: Throttle;
  /** The failure counters behind both throttles (read directly to spare round trips on login). */
  throttleStore: ThrottleStore;
  /** Public base URL of a tenant's portal, e.g. `http://localhost:4001/cyc`. */
  tenantUrl(tenant: string): string;
  /** What else ends with a sign-in (the OIDC provider's sessions and tokens). */
  signOuts: SignOutHooks;
}

const cache = new WeakMap<object, County>();

/** The county services of a role context (created once per context). */
export function countyServices(ctx: CountyContext): County {
  const cached = cache.get(ctx);
  if (cached) return cached;
  const throttleStore = ctx.throttleStore('county');
  const county: County = {
    ctx,
    db: ctx.db,
    vault: new NationalIdVault({
      keyRing: parseKeyRing(ctx.secrets.nationalIdKeys),
      blindIndexKey: ctx.secrets.blindIndexKey,
    }),
    hasher: new PasswordHasher({
      maxConcurrency: ctx.config.argon2Concurrency || availableParallelism(),
      maxQueue: ctx.config.argon2Queue,
    }),
    links: new SignedLinks(ctx.secrets.secret, `${ctx.urls.county}#county`),
    accountThrottle: new Throttle(throttleStore, ACCOUNT_THROTTLE),
    addressThrottle: new Throttle(throttleStore, ADDRESS_THROTTLE),
    throttleStore,
    tenantUrl: (tenant) => `${ctx.urls.county.replace(/\/$/, '')}/${tenant}`,
    signOuts: new SignOutHooks(),
  };
  cache.set(ctx, county);
  return county;
}
