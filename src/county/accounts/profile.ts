import type { Account } from './repository.ts';

export type ProfileGap = 'real_name' | 'national_id' | 'unit';

export interface ProfileCompleteness {
  complete: boolean;
  /** In the order of the 「OpenID認證資料檢核」 page: name, national ID, service unit. */
  missing: ProfileGap[];
}

/** What the profile check (「OpenID認證資料檢核」) still asks of this account. */
export function profileCompleteness(
  account: Pick<Account, 'real_name' | 'national_id_encrypted' | 'unit_code' | 'unit_confirmed_at'>,
): ProfileCompleteness {
  const missing: ProfileGap[] = [];
  if (!account.real_name?.trim()) missing.push('real_name');
  if (!account.national_id_encrypted) missing.push('national_id');
  if (!account.unit_code || !account.unit_confirmed_at) missing.push('unit');
  return { complete: missing.length === 0, missing };
}
