import { describe, expect, it } from 'vitest';
import { credentialErrors, emailErrors, mailboxFormatError } from './rules.ts';

const units = [
  { code: '454503', name: '朴子國民中學', abbreviation: '朴子國中' },
  { code: '454601', name: 'Puzi Elementary', abbreviation: 'pzes' },
];
const ok = { password: 'correct horse battery', confirmation: 'correct horse battery' };
const usernameError = (username: string) => credentialErrors({ username, ...ok }, units).username?.key;

describe('registration step rules (SPEC §1)', () => {
  it('accepts a plain username of 5–15 characters and refuses other lengths', () => {
    expect(usernameError('wang.ming')).toBeUndefined();
    expect(usernameError('abcde')).toBeUndefined();
    expect(usernameError('abcdefghijklmno')).toBeUndefined();
    expect(usernameError('abcd')).toBe('register.error.username.length');
    expect(usernameError('abcdefghijklmnop')).toBe('register.error.username.length');
    expect(usernameError('')).toBe('register.error.required');
    expect(usernameError('x'.repeat(10_000))).toBe('register.error.username.length');
  });

  it('refuses national IDs and resident numbers in any case, and mobile numbers', () => {
    expect(usernameError('A123456789')).toBe('register.error.username.national_id');
    expect(usernameError('a123456789')).toBe('register.error.username.national_id');
    expect(usernameError('xA800000014')).toBe('register.error.username.national_id');
    expect(usernameError('AC12345678')).toBe('register.error.username.national_id');
    expect(usernameError('0912345678')).toBe('register.error.username.mobile');
  });

  it('refuses a school’s name, abbreviation or code from the county’s unit list', () => {
    expect(credentialErrors({ username: 'wang454503', ...ok }, units).username).toEqual({
      key: 'register.error.username.unit_name',
      vars: { term: '454503' },
    });
    expect(usernameError('PZES.wang')).toBe('register.error.username.unit_name');
    expect(usernameError('puzi.wang')).toBeUndefined();
  });

  it('refuses markup and SQL-like text as username characters', () => {
    expect(usernameError('<script>')).toBe('register.error.username.characters');
    expect(usernameError("a'--;drop")).toBe('register.error.username.characters');
  });

  it('asks for 8+ characters, no composition, not a common password, matching confirmation', () => {
    const p = (password: string, confirmation = password) =>
      credentialErrors({ username: 'wang.ming', password, confirmation }, units);
    expect(p('lowercaseonly')).toEqual({});
    expect(p('short').password?.key).toBe('register.error.password.too_short');
    expect(p('password1').password?.key).toBe('register.error.password.common');
    expect(p('12345678').password?.key).toBe('register.error.password.common');
    expect(p('wang.ming').password?.key).toBe('register.error.password.same_as_username');
    expect(p('lowercaseonly', 'lowercaseonlY').password_confirm?.key).toBe(
      'register.error.password.mismatch',
    );
    expect(p('x'.repeat(129)).password?.key).toBe('register.error.password.too_long');
    expect(p('', '').password?.key).toBe('register.error.required');
    expect(
      credentialErrors({ username: 'wang.ming', password: '', confirmation: '' }, units, {
        passwordOptional: true,
      }),
    ).toEqual({});
  });

  it('checks the personal email and refuses a unit’s official mailbox', () => {
    expect(emailErrors('ming@example.org', false)).toEqual({});
    expect(emailErrors('', false).email?.key).toBe('register.error.required');
    expect(emailErrors('not-an-email', false).email?.key).toBe('register.error.email.format');
    expect(emailErrors('<script>@x.org', false).email?.key).toBe('register.error.email.format');
    expect(emailErrors(`${'a'.repeat(300)}@example.org`, false).email?.key).toBe(
      'register.error.email.format',
    );
    expect(emailErrors('pzjh@mail.cyc.edu.tw', true).email?.key).toBe('register.error.email.official');
  });

  it('wants the reviewing mailbox in the county’s format', () => {
    expect(mailboxFormatError('pzjh@mail.cyc.edu.tw', 'mail.cyc.edu.tw')).toEqual({});
    expect(mailboxFormatError('PZJH@MAIL.CYC.EDU.TW', 'mail.cyc.edu.tw')).toEqual({});
    expect(mailboxFormatError('dcjh@mail.tn.edu.tw', 'mail.cyc.edu.tw').mailbox?.key).toBe(
      'register.error.mailbox.format',
    );
    expect(mailboxFormatError('pzjh@evilmail.cyc.edu.tw', 'mail.cyc.edu.tw').mailbox?.key).toBe(
      'register.error.mailbox.format',
    );
    expect(mailboxFormatError('', 'mail.cyc.edu.tw').mailbox?.key).toBe('register.error.required');
  });
});
