import { readFileSync } from 'node:fs';
import { dictionary } from '@zxcvbn-ts/language-common';
import { describe, expect, it } from 'vitest';
import { buildCommonPasswordList } from './generate-common-passwords.ts';
import { isCommonPassword, loadCommonPasswords, validatePassword } from './policy.ts';

function codes(password: string, extra: { confirmation?: string; username?: string } = {}): string[] {
  return validatePassword({ password, ...extra }).map((v) => v.code);
}

describe('validatePassword', () => {
  it('accepts a long uncommon password without composition rules', () => {
    expect(codes('correct horse battery staple', { confirmation: 'correct horse battery staple' })).toEqual(
      [],
    );
    expect(codes('qmzvtrbplk')).toEqual([]);
    expect(codes('我的密碼是很長的句子')).toEqual([]);
  });

  it('requires at least 8 characters, counted as characters rather than bytes', () => {
    expect(codes('Xq7#vL2')).toEqual(['password.too_short']);
    expect(codes('Xq7#vL2p')).toEqual([]);
    // 7 CJK characters are 21 UTF-8 bytes but still too short.
    expect(codes('教育雲端帳號密')).toEqual(['password.too_short']);
  });

  it('allows at most 128 characters', () => {
    expect(codes('Q'.padStart(128, 'x'))).toEqual([]);
    expect(codes('Q'.padStart(129, 'x'))).toEqual(['password.too_long']);
  });

  it('refuses common passwords case-insensitively', () => {
    expect(codes('password')).toEqual(['password.common']);
    expect(codes('PassWord')).toEqual(['password.common']);
    expect(codes('12345678')).toEqual(['password.common']);
    expect(codes('1qaz2wsx')).toEqual(['password.common']);
    expect(codes('123456')).toEqual(['password.too_short', 'password.common']);
  });

  it('requires the confirmation to match when given', () => {
    expect(codes('qmzvtrbplk', { confirmation: 'qmzvtrbplK' })).toEqual(['password.mismatch']);
    expect(codes('qmzvtrbplk', { confirmation: '' })).toEqual(['password.mismatch']);
  });

  it('refuses the username as password, ignoring case', () => {
    expect(codes('Tad0616xyz', { username: ' tad0616XYZ ' })).toEqual(['password.same_as_username']);
    expect(codes('tad0616xyz!', { username: 'tad0616xyz' })).toEqual([]);
  });
});

describe('common password list', () => {
  const text = readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8');
  const lines = text.trimEnd().split('\n');

  it('holds at least the 10,000 most common passwords, lowercase and unique', () => {
    const ranked = dictionary['passwords-common'].slice(0, 10_000).map((p) => p.toLowerCase());
    const list = loadCommonPasswords();
    expect(list.size).toBe(lines.length);
    expect(lines.length).toBeGreaterThanOrEqual(10_000);
    for (const password of ranked) expect(list.has(password)).toBe(true);
    for (const line of lines) expect(line).toBe(line.toLowerCase());
  });

  it('is what the generator produces from the package', () => {
    expect(lines).toEqual(buildCommonPasswordList(dictionary['passwords-common']));
  });

  it('contains at least 10,000 passwords that the length rule would accept', () => {
    expect(lines.filter((line) => [...line].length >= 8).length).toBeGreaterThanOrEqual(10_000);
  });

  it('isCommonPassword matches the list', () => {
    expect(isCommonPassword('iloveyou')).toBe(true);
    expect(isCommonPassword('ILOVEYOU')).toBe(true);
    expect(isCommonPassword('qmzvtrbplk')).toBe(false);
  });
});

describe('buildCommonPasswordList', () => {
  it('keeps the top of the ranking and only allowed lengths below it, without duplicates', () => {
    const ranked = [
      'abc',
      'ABC',
      'password1',
      ...Array.from({ length: 10_000 }, (_, i) => `p${i}`),
      'short',
      'longenough',
    ];
    const list = buildCommonPasswordList(ranked);
    expect(list.slice(0, 2)).toEqual(['abc', 'password1']);
    expect(list).not.toContain('short');
    expect(list.at(-1)).toBe('longenough');
  });
});
