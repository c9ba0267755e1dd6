import {
  type OidcAccountSource,
  type OidcPrompt,
  requestScoped,
  wantedClaims,
} from '../../platform/oidc/index.ts';
import { eduinfoOf, RELEASED_ACCOUNT_COLUMNS, type ReleasableAccount } from '../accounts/claims.ts';
import { profileCompleteness } from '../accounts/profile.ts';
import { findAccountById } from '../accounts/repository.ts';
import type { County } from '../services.ts';
import { COUNTY_SCOPES } from './scopes.ts';

/**
 * The account row, read once per protocol request or resource API call however many steps ask
 * (login state, profile check, token checks, claims). Never kept across requests: a suspension
 * takes effect on the next request.
 */
export function loadAccount(
  county: County,
  tenant: string,
  id: string,
): Promise<ReleasableAccount | undefined> {
  return requestScoped(accountKey(tenant, id), () => findAccountById(county.db, tenant, id));
}

const accountKey = (tenant: string, id: string) => `county:${tenant}:account:${id}`;

/**
 * The claims of an account as the county provider releases them (scopes pick among them; shapes
 * as `identityClaims` gives them). With `wanted`, only those claims are computed: the national ID
 * is decrypted only for `guid` and `personid`.
 */
export async function countyClaims(
  county: County,
  account: ReleasableAccount,
  wanted?: Set<string>,
): Promise<Record<string, unknown>> {
  const want = (claim: string) => !wanted || wanted.has(claim);
  const eduinfo = eduinfoOf(account);
  const claims: Record<string, unknown> = {
    sub: account.id,
    preferred_username: account.username,
    name: account.real_name,
    family_name: account.family_name,
    given_name: account.given_name,
    email: account.email,
    email_verified: account.email_verified_at !== null,
    schoolid: eduinfo.schoolid,
    titles: eduinfo.titles,
    classinfo: [],
  };
  if (want('guid') || want('personid')) {
    const nationalId = account.national_id_encrypted
      ? await county.vault.decrypt(account.national_id_encrypted)
      : null;
    claims.guid = nationalId ? county.vault.guid(nationalId) : null;
    claims.personid = nationalId;
  }
  return claims;
}

/** Whether the account may release its identity now: active and with a complete profile check. */
export function mayUseOidc(account: ReleasableAccount): boolean {
  return account.state === 'active' && profileCompleteness(account).complete;
}

/**
 * The accounts of one county as the provider sees them. For tokens, userinfo and resource APIs
 * only active accounts with a complete profile count: suspending or departing an account stops
 * every token it has (the account is read on every request).
 */
export function countyAccountSource(county: County, tenant: string): OidcAccountSource {
  return {
    // The provider reads the row along with the token or session naming it (`loadAccount`).
    rows: {
      table: 'county_accounts',
      id: 'id',
      idType: 'uuid',
      where: { tenant },
      columns: RELEASED_ACCOUNT_COLUMNS,
      // The row as `findAccountById` gives it: the `status` column is the account's `state`.
      fromRow: ({ status, ...row }) => ({ ...row, state: status }),
      requestKey: (id) => accountKey(tenant, id),
    },
    async findAccount(id, use) {
      const account = await loadAccount(county, tenant, id);
      if (!account) return undefined;
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
export function countyPrompts(county: County, tenant: string): OidcPrompt[] {
  return [
    {
      name: 'county_status',
      async check({ accountId }) {
        const account = await loadAccount(county, tenant, accountId);
        if (account?.state === 'active') return undefined;
        return { status: account?.state ?? 'missing' };
      },
    },
    {
      name: 'county_profile',
      async check({ accountId }) {
        const account = await loadAccount(county, tenant, accountId);
        if (!account) return { missing: ['account'] };
        const profile = profileCompleteness(account);
        return profile.complete ? undefined : { missing: profile.missing };
      },
    },
  ];
}
