// The profile check (「OpenID認證資料檢核」): real name, national ID, confirmation of the unit.
import { maskNationalId, namePartsMatch, parseNationalId, splitPersonalName } from '../../identity/index.ts';
import { editAccount } from '../accounts/edit.ts';
import type { Account } from '../accounts/repository.ts';
import { findAccountByBlindIndex, submitNationalId } from '../accounts/repository.ts';
import { audit, auditAccount, mail } from '../db.ts';
import { mailAccount, mailMessage } from '../mail-text.ts';
import type { FieldErrors } from '../registration/rules.ts';
import type { County } from '../services.ts';
import { findUnit, type Tenant } from '../tenants/tenants.ts';

export const NAME_MAX = 30;
const NAME_PART_MAX = 20;
// Letters of any script, spaces, the middle dots of transliterated names, apostrophes and hyphens.
const NAME = /^[\p{L}\p{M}][\p{L}\p{M} ·•'’-]*$/u;

export interface NameInput {
  realName: string;
  familyName: string;
  givenName: string;
}

export function nameErrors(input: NameInput): FieldErrors {
  const errors: FieldErrors = {};
  const check = (field: string, value: string, max: number, required: boolean) => {
    if (value === '') {
      if (required) errors[field] = { key: 'register.error.required' };
    } else if ([...value].length > max) errors[field] = { key: 'profile.error.name.long', vars: { max } };
    else if (!NAME.test(value)) errors[field] = { key: 'profile.error.name.characters' };
  };
  check('real_name', input.realName, NAME_MAX, true);
  check('family_name', input.familyName, NAME_PART_MAX, false);
  check('given_name', input.givenName, NAME_PART_MAX, false);
  // A 姓/名 that is not the real name's would reach every service as someone else's name.
  if (
    Object.keys(errors).length === 0 &&
    input.realName &&
    !namePartsMatch(input.realName, input.familyName, input.givenName)
  ) {
    errors[input.familyName ? 'family_name' : 'given_name'] = { key: 'profile.error.name.parts_mismatch' };
  }
  return errors;
}

/**
 * Family and given name: as typed, the part not typed being the rest of the real name; when
 * neither is typed, derived from the real name (`splitPersonalName`: 歐陽娜娜 → 歐陽 + 娜娜).
 */
export function splitName(input: NameInput): { family: string | null; given: string | null } {
  const { realName, familyName, givenName } = input;
  if (familyName && givenName) return { family: familyName, given: givenName };
  const rest = (part: string) => {
    const chars = [...realName.trim()];
    const n = [...part].length;
    const text = chars.join('');
    const left = text.startsWith(part) ? chars.slice(n) : text.endsWith(part) ? chars.slice(0, -n) : [];
    return left.join('').trim() || null;
  };
  if (familyName) return { family: familyName, given: rest(familyName) };
  if (givenName) return { family: rest(givenName), given: givenName };
  const parts = splitPersonalName(realName);
  return { family: parts?.family ?? null, given: parts?.given ?? null };
}

export async function saveName(
  county: County,
  account: Account,
  input: NameInput,
  ip: string,
): Promise<void> {
  const { family, given } = splitName(input);
  await county.db.transaction().execute(async (tx) => {
    const name = { real_name: input.realName, family_name: family, given_name: given };
    await editAccount(tx, account, name, { actor: account.username, action: 'profile.name_updated', ip });
  });
}

type NationalIdRefusal = { ok: false; errors: FieldErrors; status: 400 | 429 };
export type NationalIdResult = { ok: true; masked: string } | NationalIdRefusal;

const refusal = (key: string, vars?: Record<string, string | number>): NationalIdRefusal => ({
  ok: false,
  errors: { national_id: vars ? { key, vars } : { key } },
  status: 400,
});

/**
 * Takes the national ID (or resident certificate number) a teacher types on the profile check:
 * checksum, then it waits, sealed, for the school reviewer, who checks the teacher's document and
 * records it (`confirmNationalId`, one account per person in the county by the blind index).
 *
 * Every valid number gets the same answer and the same waiting state, whether or not another
 * account of the county holds it: the screen tells nobody who has an account. A number held
 * elsewhere is audited with the holder's id (for the county's investigation), the holder is told
 * by mail, and the reviewer cannot record it. Submissions are budgeted per account and per client
 * address, every one alike, so the budgets tell nothing either.
 */
export async function saveNationalId(
  county: County,
  tenant: Tenant,
  account: Account,
  input: string,
  ip: string,
): Promise<NationalIdResult> {
  if (account.national_id_encrypted) return refusal('profile.error.national_id.set');
  if (account.national_id_submitted_encrypted) return refusal('profile.error.national_id.submitted');
  if (input === '') return refusal('register.error.required');
  const parsed = parseNationalId(input.slice(0, 20));
  if (!parsed.ok) return refusal(`profile.error.national_id.${parsed.reason}`);
  const waits = await Promise.all([
    county.nationalIdAccountThrottle.take([`account:${account.id}`]),
    county.nationalIdAddressThrottle.take([`ip:${ip}`]),
  ]);
  const wait = Math.max(...waits);
  if (wait > 0) {
    await audit(county.db, {
      tenant: tenant.code,
      actor: account.username,
      action: 'profile.national_id_throttled',
      target: account.id,
      ip,
      details: { wait },
    });
    return {
      ...refusal('profile.error.national_id.wait', { minutes: Math.ceil(wait / 60) }),
      status: 429,
    };
  }
  const blindIndex = county.vault.blindIndex(parsed.value);
  const [holder, unit, encrypted] = await Promise.all([
    findAccountByBlindIndex(county.db, tenant.code, blindIndex),
    account.unit_code ? findUnit(county.db, tenant.code, account.unit_code) : undefined,
    county.vault.encrypt(parsed.value),
  ]);
  const other = holder && holder.id !== account.id ? holder : undefined;
  const masked = maskNationalId(parsed.value);
  await county.db.transaction().execute(async (tx) => {
    // Two tries at once: the one that comes second keeps nothing and answers the same.
    if (!(await submitNationalId(tx, account.id, encrypted))) return;
    await auditAccount(tx, account, {
      actor: account.username,
      action: 'profile.national_id_submitted',
      ip,
      details: { kind: parsed.kind, unit: account.unit_code, other: other?.id ?? null },
    });
    if (unit) {
      await mail(tx, {
        to: unit.mailbox,
        ...mailMessage('mail.national_id_submitted', {
          portal: tenant.portal_name,
          unit: unit.name,
          username: account.username,
          name: account.real_name ?? '',
          masked,
          link: `${county.tenantUrl(tenant.code)}/review`,
        }),
      });
    }
    // The holder learns of it by mail, not the screen: a teacher's older account learns which new
    // account typed its number; a person whose number someone typed learns of it.
    if (other) {
      await mailAccount(tx, tenant, other, 'mail.national_id_attempt', { other: account.username });
    }
  });
  return { ok: true, masked };
}

export async function confirmUnit(county: County, account: Account, ip: string): Promise<void> {
  await county.db.transaction().execute(async (tx) => {
    await editAccount(
      tx,
      account,
      { unit_confirmed_at: new Date() },
      { actor: account.username, action: 'profile.unit_confirmed', ip, details: { unit: account.unit_code } },
    );
  });
}

/** The masked number an account submitted for the reviewer, if one waits. */
export async function maskedSubmission(county: County, account: Account): Promise<string | null> {
  return account.national_id_submitted_encrypted
    ? maskNationalId(await county.vault.decrypt(account.national_id_submitted_encrypted))
    : null;
}

/** The masked national ID of an account (decrypting only to mask it). */
export async function maskedNationalId(county: County, account: Account): Promise<string | null> {
  return account.national_id_encrypted
    ? maskNationalId(await county.vault.decrypt(account.national_id_encrypted))
    : null;
}
