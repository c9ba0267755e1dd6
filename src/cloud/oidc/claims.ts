import type { AccountWithIdentities, LinkedIdentity } from '../account/accounts.ts';
import type { EduCloudRoleClaim } from '../roles/custom-roles.ts';
import type { CloudServices } from '../services.ts';

/** The `eduinfo` shape of the real cloud: main school, titles per school, classes. */
export interface EduInfo {
  schoolid: string;
  titles: Array<{ schoolid: string; titles: string[] }>;
  classinfo: Array<Record<string, string>>;
}

/**
 * Education data from the county identities, the most recently used first: its school is the
 * main `schoolid`; titles of every school, one entry per school.
 */
export function eduInfoOf(identities: LinkedIdentity[]): EduInfo {
  const titles: EduInfo['titles'] = [];
  const classinfo: EduInfo['classinfo'] = [];
  for (const identity of identities) {
    for (const entry of identity.snapshot.titles) {
      if (!titles.some((t) => t.schoolid === entry.schoolid)) titles.push(entry);
    }
    classinfo.push(...identity.snapshot.classinfo);
  }
  const schoolid =
    identities.find((i) => i.snapshot.schoolid)?.snapshot.schoolid ?? titles[0]?.schoolid ?? '';
  return { schoolid, titles, classinfo };
}

export interface CloudClaims {
  sub: string;
  name: string;
  family_name?: string;
  given_name?: string;
  preferred_username: string;
  email: string;
  email_verified: boolean;
  openid2_id?: string[];
  /** Present when wanted (it reads the county identities). */
  eduinfo?: EduInfo;
  /** Present when wanted (it reads the role assignments). */
  educloudroles?: EduCloudRoleClaim[];
}

/**
 * The claims the account can release; oidc-provider keeps those the granted scopes allow. With
 * `wanted` (claim names, see `wantedClaims`), `eduinfo` and `educloudroles` are read only when
 * wanted; without it, every claim.
 */
export async function cloudClaims(
  services: CloudServices,
  { account, identities }: AccountWithIdentities,
  wanted?: ReadonlySet<string>,
): Promise<CloudClaims> {
  const want = (claim: string) => !wanted || wanted.has(claim);
  const roles = want('educloudroles') ? await services.roles.claimFor(account.id) : undefined;
  const claims: CloudClaims = {
    sub: account.id,
    name: account.displayName,
    preferred_username: account.name,
    email: services.emailOf(account),
    email_verified: true,
  };
  if (want('eduinfo')) claims.eduinfo = eduInfoOf(identities);
  if (roles) claims.educloudroles = roles;
  if (account.familyName) claims.family_name = account.familyName;
  if (account.givenName) claims.given_name = account.givenName;
  if (account.openid2Ids.length > 0) claims.openid2_id = account.openid2Ids;
  return claims;
}
