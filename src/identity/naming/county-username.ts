// County portal usernames (SPEC §1, registration step 1).
//
// Allowed characters: ASCII letters, digits, `_`, `.` and `-`; the first and last character must be
// a letter or a digit, so names stay unambiguous in mail addresses, URLs and command lines.
// Uniqueness is case-insensitive and checked by the caller on `normalizeUsername(name)`.
import { looksLikeNationalId } from '../national-id/national-id.ts';

export const COUNTY_USERNAME_MIN_LENGTH = 5;
export const COUNTY_USERNAME_MAX_LENGTH = 15;

export type UnitNaming = {
  code: string;
  name: string;
  abbreviation?: string | null | undefined;
  /** The unit's official mailbox: its local part (`pzjh` of `pzjh@mail.cyc.edu.tw`) is its romanized abbreviation. */
  mailbox?: string | null | undefined;
};

export type UsernameViolation =
  | { code: 'username.length' | 'username.characters' | 'username.national_id' | 'username.mobile' }
  | { code: 'username.unit_name'; unitCode: string; matched: string };

export type UsernameViolationCode = UsernameViolation['code'];

const CHARACTERS = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const MOBILE = /09\d{8}/;
// A one-character abbreviation would forbid nearly every name; such terms are ignored.
const MIN_UNIT_TERM_LENGTH = 2;

/** Key for case-insensitive uniqueness. */
export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

function unitTermFound(username: string, units: readonly UnitNaming[]): UsernameViolation | undefined {
  const haystack = fold(username);
  for (const unit of units) {
    const localPart = unit.mailbox?.split('@')[0];
    for (const term of [unit.code, unit.name, unit.abbreviation, localPart]) {
      const needle = fold(term?.trim() ?? '');
      if ([...needle].length >= MIN_UNIT_TERM_LENGTH && haystack.includes(needle)) {
        return { code: 'username.unit_name', unitCode: unit.code, matched: term?.trim() ?? '' };
      }
    }
  }
  return undefined;
}

/** Every rule the username breaks, in a stable order; empty when it is acceptable. */
export function validateCountyUsername(
  input: string,
  units: readonly UnitNaming[] = [],
): UsernameViolation[] {
  const username = input.trim();
  const violations: UsernameViolation[] = [];
  const length = [...username].length;
  if (length < COUNTY_USERNAME_MIN_LENGTH || length > COUNTY_USERNAME_MAX_LENGTH) {
    violations.push({ code: 'username.length' });
  }
  if (!CHARACTERS.test(username)) violations.push({ code: 'username.characters' });
  if (looksLikeNationalId(username)) violations.push({ code: 'username.national_id' });
  if (MOBILE.test(username)) violations.push({ code: 'username.mobile' });
  const unit = unitTermFound(username, units);
  if (unit !== undefined) violations.push(unit);
  return violations;
}
