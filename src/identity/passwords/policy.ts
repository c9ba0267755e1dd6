// Password policy for every role (SPEC §1): length only, no composition rules, and a refusal of
// common and breached passwords.
import { readFileSync } from 'node:fs';

export const PASSWORD_MIN_LENGTH = 8;
// Bounds the work done per hash and per request; long passphrases still fit.
export const PASSWORD_MAX_LENGTH = 128;

export type PasswordViolationCode =
  | 'password.too_short'
  | 'password.blank'
  | 'password.too_long'
  | 'password.common'
  | 'password.mismatch'
  | 'password.same_as_username';

export type PasswordViolation = { code: PasswordViolationCode };

export type PasswordCandidate = {
  password: string;
  /** Checked only when given (self-service forms always give it). */
  confirmation?: string | undefined;
  username?: string | undefined;
};

let commonPasswords: ReadonlySet<string> | undefined;

/** The shipped list of common passwords, lowercase, loaded once on first use. */
export function loadCommonPasswords(): ReadonlySet<string> {
  if (commonPasswords === undefined) {
    const text = readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8');
    commonPasswords = new Set(text.split('\n').filter((line) => line !== ''));
  }
  return commonPasswords;
}

export function isCommonPassword(password: string): boolean {
  return loadCommonPasswords().has(password.toLowerCase());
}

/** Length in characters (code points), so a CJK or emoji passphrase counts what the user typed. */
export function passwordLength(password: string): number {
  return [...password].length;
}

/** Every rule the password breaks, in a stable order; empty when it is acceptable. */
export function validatePassword(candidate: PasswordCandidate): PasswordViolation[] {
  const { password, confirmation, username } = candidate;
  const violations: PasswordViolation[] = [];
  const length = passwordLength(password);
  if (length < PASSWORD_MIN_LENGTH) violations.push({ code: 'password.too_short' });
  // Eight spaces are long enough and guessed at once.
  else if (password.trim() === '') violations.push({ code: 'password.blank' });
  if (length > PASSWORD_MAX_LENGTH) violations.push({ code: 'password.too_long' });
  if (isCommonPassword(password)) violations.push({ code: 'password.common' });
  if (confirmation !== undefined && confirmation !== password) violations.push({ code: 'password.mismatch' });
  if (
    username !== undefined &&
    username.trim() !== '' &&
    password.toLowerCase() === username.trim().toLowerCase()
  ) {
    violations.push({ code: 'password.same_as_username' });
  }
  return violations;
}
