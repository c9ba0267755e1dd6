import { type OidcAccountPort, type OidcPrompt, wantedClaims } from '../../platform/oidc/index.ts';
import { eduinfoOf, personClaims, type ReleasableAccount, standardClaims } from '../accounts/claims.ts';
import { profileCompleteness } from '../accounts/profile.ts';
import type { ReleasableAccounts } from '../accounts/releasable.ts';
import type { County } from '../services.ts';
import { COUNTY_SCOPES } from './scopes.ts';

/**
 * The claims of an account as the county provider releases them (scopes pick among them; shapes
 * as `identityClaims` gives them). With `wanted`, only those claims are computed: the national ID
 * is decrypted only for `guid` and `personid`.
 */
export async function countyClaims(
  county: County,
  account: ReleasableAccount,
  wanted?: ReadonlySet<string>,
): Promise<Record<string, unknown>> {
  const want = (claim: string) => !wanted || wanted.has(claim);
  const eduinfo = eduinfoOf(account);
  const claims = {
    ...standardClaims(account),
    schoolid: eduinfo.schoolid,
    titles: eduinfo.titles,
    classinfo: [],
  };
  return want('guid') || want('personid') ? { ...claims, ...(await personClaims(county, account)) } : claims;
}

/** Whether the account may release its identity now: active and with a complete profile check. */
export function mayUseOidc(account: ReleasableAccount): boolean {
  return account.state === 'active' && profileCompleteness(account).complete;
}

/**
 * The accounts of one county as the provider sees them (the host port): the provider reads an
 * account once per request through `prefetch`. For tokens, userinfo and resource APIs only active
 * accounts with a complete profile count: suspending or departing an account stops every token it
 * has at the next request, on every node.
 */
export function countyAccountPort(
  county: County,
  tenant: string,
  accounts: ReleasableAccounts,
): OidcAccountPort<ReleasableAccount> {
  return {
    // Tokens from this node's copy, which every change of the account drops at once; an
    // authorization (and its prompts) reads the account as it is now, unless the browser's portal
    // sign-in brings it (`countyHostSession`: with its row, from the copies while neither changed).
    prefetch: (id, use) => (use === 'token' ? accounts.current(tenant, id) : accounts.fresh(tenant, id)),
    findAccount(account, use) {
      if (use === 'token' && !mayUseOidc(account)) return undefined;
      return {
        accountId: account.id,
        claims: (_use, scope, claims) =>
          countyClaims(county, account, wantedClaims(COUNTY_SCOPES, scope, claims)),
      };
    },
  };
}

/**
 * The county's prompts between login and consent: a suspended or departed account gets a refusal
 * page (`county_status`, with the account's state as `status`: names kept, interactions in flight
 * carry them); an incomplete profile is sent to the profile check before anything is
 * released (`county_profile`) — the how-to: without the national ID, OpenID is refused.
 */
export function countyPrompts(): OidcPrompt<ReleasableAccount>[] {
  return [
    {
      name: 'county_status',
      check: ({ account }) =>
        account?.state === 'active' ? undefined : { status: account?.state ?? 'missing' },
    },
    {
      name: 'county_profile',
      check({ account }) {
        if (!account) return { missing: ['account'] };
        const profile = profileCompleteness(account);
        return profile.complete ? undefined : { missing: profile.missing };
      },
    },
  ];
}
