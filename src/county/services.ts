import { availableParallelism } from 'node:os';
import { NationalIdVault, PasswordHasher, parseKeyRing } from '../identity/index.ts';
import type { RoleContext } from '../platform/runtime/role.ts';
import { DeviceCookies } from '../platform/security/device-cookie.ts';
import { ProofOfWork } from '../platform/security/proof-of-work.ts';
import { SignInGuard } from '../platform/security/sign-in-guard.ts';
import { SignedLinks } from '../platform/security/signed-link.ts';
import { Throttle } from '../platform/security/throttle.ts';
import { SignOutHooks } from './accounts/sign-out.ts';
import type { CountyDb, CountyTables } from './schema.ts';

/** Availability checks (is this username or e-mail taken?) per client address and hour. */
export const AVAILABILITY_CHECKS_PER_ADDRESS = { limit: 300, windowSeconds: 3600 };

/**
 * National IDs sent for the school reviewer from the profile check, per account and day. Every
 * submission counts alike (the answer never depends on who holds the number); it bounds the mails
 * to the reviewer and to holders of numbers typed.
 */
export const NATIONAL_ID_SUBMISSIONS_PER_ACCOUNT = { limit: 2, windowSeconds: 24 * 3600 };

/** The same per client address (a school's teachers share one). */
export const NATIONAL_ID_SUBMISSIONS_PER_ADDRESS = { limit: 30, windowSeconds: 24 * 3600 };

export type CountyContext = RoleContext<CountyTables>;

/** What every county module works with: the database, crypto and the shared policies. */
export interface County {
  ctx: CountyContext;
  db: CountyDb;
  vault: NationalIdVault;
  hasher: PasswordHasher;
  links: SignedLinks;
  /** A tenant's login budgets and proof-of-work challenge (see sign-in-guard.ts). */
  signInGuard(tenant: string): SignInGuard;
  /** A tenant's device cookies (a browser that signed in keeps its own login budget). */
  deviceCookies(tenant: string): DeviceCookies;
  /** Registration's username and e-mail availability checks, per client address. */
  availabilityThrottle: Throttle;
  /** Refused national IDs on the profile check, per account and per client address. */
  nationalIdAccountThrottle: Throttle;
  nationalIdAddressThrottle: Throttle;
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
  const nationalIdStore = ctx.throttleStore('county-national-id');
  const proofOfWork = new ProofOfWork(ctx.secrets.secret, throttleStore);
  const guards = new Map<string, SignInGuard>();
  const devices = new Map<string, DeviceCookies>();
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
    signInGuard(tenant) {
      let guard = guards.get(tenant);
      if (!guard) {
        guard = new SignInGuard({
          store: throttleStore,
          proofOfWork,
          purpose: `county:${tenant}:login`,
          policy: ctx.config.captcha,
          challengeAfter: ctx.config.captchaAfterFailures,
        });
        guards.set(tenant, guard);
      }
      return guard;
    },
    deviceCookies(tenant) {
      let cookies = devices.get(tenant);
      if (!cookies) {
        cookies = new DeviceCookies({
          secret: ctx.secrets.secret,
          name: `edugate_county_${tenant}_device`,
          path: `/${tenant}`,
          secure: ctx.config.secureCookies,
        });
        devices.set(tenant, cookies);
      }
      return cookies;
    },
    availabilityThrottle: new Throttle(
      ctx.throttleStore('county-availability'),
      AVAILABILITY_CHECKS_PER_ADDRESS,
    ),
    nationalIdAccountThrottle: new Throttle(nationalIdStore, NATIONAL_ID_SUBMISSIONS_PER_ACCOUNT),
    nationalIdAddressThrottle: new Throttle(nationalIdStore, NATIONAL_ID_SUBMISSIONS_PER_ADDRESS),
    tenantUrl: (tenant) => `${ctx.urls.county.replace(/\/$/, '')}/${tenant}`,
    signOuts: new SignOutHooks(),
  };
  cache.set(ctx, county);
  return county;
}
