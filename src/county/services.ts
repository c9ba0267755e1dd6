import { availableParallelism } from 'node:os';
import { NationalIdVault, PasswordHasher, parseKeyRing } from '../identity/index.ts';
import type { RoleContext } from '../platform/runtime/role.ts';
import { SignedLinks } from '../platform/security/signed-link.ts';
import { Throttle, type ThrottlePolicy, type ThrottleStore } from '../platform/security/throttle.ts';
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

/**
 * Recording a national ID on the profile check, per account: a number the portal cannot record
 * (it is on another account) twice, then delays doubling from 15 min up to a day. Each refusal is
 * a guess at who holds an account in the county, so the budget is small.
 */
export const NATIONAL_ID_ACCOUNT_THROTTLE: ThrottlePolicy = {
  freeFailures: 2,
  baseDelaySeconds: 15 * 60,
  maxDelaySeconds: 24 * 3600,
  windowSeconds: 24 * 3600,
};

/** The same per client address (a school's teachers share one). */
export const NATIONAL_ID_ADDRESS_THROTTLE: ThrottlePolicy = {
  freeFailures: 10,
  baseDelaySeconds: 5 * 60,
  maxDelaySeconds: 24 * 3600,
  windowSeconds: 24 * 3600,
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
  /** Refused national IDs on the profile check, per account and per client address. */
  nationalIdAccountThrottle: Throttle;
  nationalIdAddressThrottle: Throttle;
  /** The failure counters behind both throttles (read directly to spare round trips on login). */
  throttleStore: ThrottleStore;
  /** Public base URL of a tenant's portal, e.g. `http://localhost:4001/cyc`. */
  tenantUrl(tenant: string): string;
}

const cache = new WeakMap<object, County>();

/** The county services of a role context (created once per context). */
export function countyServices(ctx: CountyContext): County {
  const cached = cache.get(ctx);
  if (cached) return cached;
  const throttleStore = ctx.throttleStore('county');
  const nationalIdStore = ctx.throttleStore('county-national-id');
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
      maxWaitMs: ctx.config.argon2MaxWaitMs,
    }),
    links: new SignedLinks(ctx.secrets.secret, `${ctx.urls.county}#county`),
    accountThrottle: new Throttle(throttleStore, ACCOUNT_THROTTLE),
    addressThrottle: new Throttle(throttleStore, ADDRESS_THROTTLE),
    nationalIdAccountThrottle: new Throttle(nationalIdStore, NATIONAL_ID_ACCOUNT_THROTTLE),
    nationalIdAddressThrottle: new Throttle(nationalIdStore, NATIONAL_ID_ADDRESS_THROTTLE),
    throttleStore,
    tenantUrl: (tenant) => `${ctx.urls.county.replace(/\/$/, '')}/${tenant}`,
  };
  cache.set(ctx, county);
  return county;
}
