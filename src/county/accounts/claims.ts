import type { County } from '../services.ts';
import { findUnit } from '../tenants/tenants.ts';
import type { Account, AccountRow } from './repository.ts';

/** The identity a county releases about an account (the county OIDC provider maps scopes onto it). */
export interface CountyIdentityClaims {
  /** Stable account UUID. */
  sub: string;
  preferred_username: string;
  name: string | null;
  family_name: string | null;
  given_name: string | null;
  email: string;
  email_verified: boolean;
  /** 學校代碼 of the service unit, and its name. */
  unit_code: string | null;
  unit_name: string | null;
  /** `titles[0]` is the kind (教師), the rest job titles. */
  titles: string[];
  /** The `eduinfo` shape existing clients read: `titles[0].titles[0]` is the kind. */
  eduinfo: { schoolid: string | null; titles: Array<{ schoolid: string; titles: string[] }> };
  /** SHA-256 hex of the national ID (legacy county OpenID `person/guid`); null without one. */
  guid: string | null;
  /** The national ID itself: release only to clients explicitly allowed the `personid` scope. */
  personid: string | null;
}

/** The account columns a county releases or checks before releasing (the OIDC provider reads only these). */
export const RELEASED_ACCOUNT_COLUMNS = [
  'id',
  'tenant',
  'username',
  'status', // read as `state` (see `accountFromRow`)
  'real_name',
  'family_name',
  'given_name',
  'email',
  'email_verified_at',
  'unit_code',
  'unit_confirmed_at',
  'titles',
  'national_id_encrypted',
] as const satisfies ReadonlyArray<keyof AccountRow>;

/** An account as the OIDC provider reads it: what it releases, and what decides whether it may. */
export type ReleasableAccount = Pick<
  Account,
  Exclude<(typeof RELEASED_ACCOUNT_COLUMNS)[number], 'status'> | 'state'
>;

/** The account's titles: `titles[0]` is the kind (教師 when none is recorded), the rest job titles. */
export function titlesOf(account: Pick<ReleasableAccount, 'titles'>): string[] {
  return Array.isArray(account.titles) && account.titles.length > 0 ? account.titles : ['教師'];
}

/** The `eduinfo` claims of an account, from its row alone (no lookup). */
export function eduinfoOf(
  account: Pick<ReleasableAccount, 'unit_code' | 'titles'>,
): CountyIdentityClaims['eduinfo'] {
  return {
    schoolid: account.unit_code,
    titles: account.unit_code ? [{ schoolid: account.unit_code, titles: titlesOf(account) }] : [],
  };
}

/** The OpenID Connect standard claims of an account (who it is, its name and email), from its row alone. */
export function standardClaims(
  account: ReleasableAccount,
): Pick<
  CountyIdentityClaims,
  'sub' | 'preferred_username' | 'name' | 'family_name' | 'given_name' | 'email' | 'email_verified'
> {
  return {
    sub: account.id,
    preferred_username: account.username,
    name: account.real_name,
    family_name: account.family_name,
    given_name: account.given_name,
    email: account.email,
    email_verified: account.email_verified_at !== null,
  };
}

/** The account's national ID (`personid`) and the guid derived from it; decrypts the number. */
export async function personClaims(
  county: County,
  account: ReleasableAccount,
): Promise<Pick<CountyIdentityClaims, 'guid' | 'personid'>> {
  const nationalId = account.national_id_encrypted
    ? await county.vault.decrypt(account.national_id_encrypted)
    : null;
  return { guid: nationalId ? county.vault.guid(nationalId) : null, personid: nationalId };
}

export async function identityClaims(
  county: County,
  account: ReleasableAccount,
): Promise<CountyIdentityClaims> {
  const unit = account.unit_code ? await findUnit(county.db, account.tenant, account.unit_code) : undefined;
  return {
    ...standardClaims(account),
    unit_code: account.unit_code,
    unit_name: unit?.name ?? null,
    titles: titlesOf(account),
    eduinfo: eduinfoOf(account),
    ...(await personClaims(county, account)),
  };
}
