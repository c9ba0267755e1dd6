// The rules of the registration steps (SPEC §1), as message keys per field. Pure: the caller
// passes the county's units and answers the uniqueness questions.
import { type UnitNaming, validateCountyUsername, validatePassword } from '../../identity/index.ts';
import { EMAIL } from '../accounts/import.ts';
import { normalizeMailbox } from '../tenants/tenants.ts';

export type FieldErrors = Record<string, { key: string; vars?: Record<string, string | number> } | undefined>;

export const MAX_USERNAME_INPUT = 64;
export const MAX_EMAIL = 254;
export const MAX_PASSWORD_INPUT = 1024;

export function hasErrors(errors: FieldErrors): boolean {
  return Object.values(errors).some(Boolean);
}

/** The county's username rules (its uniqueness is checked by the caller). */
export function usernameErrors(username: string, units: readonly UnitNaming[]): FieldErrors {
  if (username === '') return { username: { key: 'register.error.required' } };
  if ([...username].length > MAX_USERNAME_INPUT)
    return { username: { key: 'register.error.username.length' } };
  const [first] = validateCountyUsername(username, units);
  if (!first) return {};
  return {
    username:
      first.code === 'username.unit_name'
        ? { key: 'register.error.username.unit_name', vars: { term: first.matched } }
        : { key: `register.error.${first.code}` },
  };
}

/** Step 1: username and password (the username's uniqueness is checked by the caller). */
export function credentialErrors(
  input: { username: string; password: string; confirmation: string },
  units: readonly UnitNaming[],
  options: { passwordOptional?: boolean } = {},
): FieldErrors {
  const errors: FieldErrors = usernameErrors(input.username, units);
  const { username, password, confirmation } = input;
  if (password === '' && confirmation === '' && options.passwordOptional) return errors;
  if (password === '') errors.password = { key: 'register.error.required' };
  else {
    const violations = validatePassword({ password, confirmation, username }).map((v) => v.code);
    const first = violations.find((c) => c !== 'password.mismatch');
    if (first) errors.password = { key: `register.error.${first}` };
    if (violations.includes('password.mismatch')) {
      errors.password_confirm = { key: 'register.error.password.mismatch' };
    }
  }
  if (confirmation === '' && !errors.password_confirm)
    errors.password_confirm = { key: 'register.error.required' };
  return errors;
}

/** Step 2: the personal email (its uniqueness is checked by the caller). */
export function emailErrors(email: string, isUnitMailbox: boolean): FieldErrors {
  if (email === '') return { email: { key: 'register.error.required' } };
  if (email.length > MAX_EMAIL || !EMAIL.test(email))
    return { email: { key: 'register.error.email.format' } };
  // The personal mailbox receives password resets: a unit's shared official mailbox must not.
  if (isUnitMailbox) return { email: { key: 'register.error.email.official' } };
  return {};
}

/** Step 4: the reviewing unit's official mailbox must have this county's format. */
export function mailboxFormatError(mailbox: string, mailDomain: string): FieldErrors {
  if (mailbox === '') return { mailbox: { key: 'register.error.required' } };
  const normalized = normalizeMailbox(mailbox);
  if (
    normalized.length > MAX_EMAIL ||
    !EMAIL.test(normalized) ||
    !normalized.endsWith(`@${mailDomain.toLowerCase()}`)
  ) {
    return { mailbox: { key: 'register.error.mailbox.format', vars: { domain: mailDomain } } };
  }
  return {};
}
