import type { OidcAccountSource, OidcPrompt } from '../../platform/oidc/index.ts';
import { identityClaims } from '../accounts/claims.ts';
import { profileCompleteness } from '../accounts/profile.ts';
import { type Account, findAccountById } from '../accounts/repository.ts';
import type { County } from '../services.ts';

/** The claims of an account as the county provider releases them (scopes pick among them). */
export async function countyClaims(county: County, account: Account): Promise<Record<string, unknown>> {
  const identity = await identityClaims(county, account);
  return {
    sub: identity.sub,
    preferred_username: identity.preferred_username,
    name: identity.name,
    family_name: identity.family_name,
    given_name: identity.given_name,
    email: identity.email,
    email_verified: identity.email_verified,
    schoolid: identity.eduinfo.schoolid,
    titles: identity.eduinfo.titles,
    classinfo: [],
    guid: identity.guid,
    personid: identity.personid,
  };
}

/** Whether the account may release its identity now: active and with a complete profile check. */
export function mayUseOidc(account: Account): boolean {
  return account.status === 'active' && profileCompleteness(account).complete;
}

/**
 * The accounts of one county as the provider sees them. For tokens, userinfo and resource APIs
 * only active accounts with a complete profile count: suspending or departing an account stops
 * every token it has.
 */
export function countyAccountSource(county: County, tenant: string): OidcAccountSource {
  return {
    async findAccount(id, use) {
      const account = await findAccountById(county.db, tenant, id);
      if (!account) return undefined;
      if (use === 'token' && !mayUseOidc(account)) return undefined;
      return { accountId: account.id, claims: () => countyClaims(county, account) };
    },
  };
}

/**
 * The county's prompts between login and consent: a suspended or departed account gets a refusal
 * page (`county_status`); an incomplete profile is sent to the profile check before anything is
 * released (`county_profile`) — the how-to: without the national ID, OpenID is refused.
 */
export function countyPrompts(county: County, tenant: string): OidcPrompt[] {
  return [
    {
      name: 'county_status',
      async check({ accountId }) {
        const account = await findAccountById(county.db, tenant, accountId);
        if (account?.status === 'active') return undefined;
        return { status: account?.status ?? 'missing' };
      },
    },
    {
      name: 'county_profile',
      async check({ accountId }) {
        const account = await findAccountById(county.db, tenant, accountId);
        if (!account) return { missing: ['account'] };
        const profile = profileCompleteness(account);
        return profile.complete ? undefined : { missing: profile.missing };
      },
    },
  ];
}
