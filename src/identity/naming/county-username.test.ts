import { describe, expect, it } from 'vitest';
import { normalizeUsername, type UnitNaming, validateCountyUsername } from './county-username.ts';

const units: UnitNaming[] = [
  { code: '114620', name: '朴子國民中學', abbreviation: 'pzjh' },
  { code: 'CYCEDU01', name: 'Chiayi County Education Network Center', abbreviation: null },
  { code: '114999', name: '某國小', abbreviation: 'x' },
];

function codes(username: string): string[] {
  return validateCountyUsername(username, units).map((v) => v.code);
}

describe('validateCountyUsername', () => {
  it('accepts ordinary names', () => {
    for (const name of ['tad0616', 'Chen.Wei', 'mary_lin', 'abc-d', 'chen.wei.lin.tw', '  teacher01  ']) {
      expect(codes(name)).toEqual([]);
    }
  });

  it('enforces 5 to 15 characters after trimming', () => {
    expect(codes('abcd')).toEqual(['username.length']);
    expect(codes(' abcd ')).toEqual(['username.length']);
    expect(codes('abcde')).toEqual([]);
    expect(codes('a'.repeat(15))).toEqual([]);
    expect(codes('a'.repeat(16))).toEqual(['username.length']);
  });

  it('allows only ASCII letters, digits, _ . - with an alphanumeric first and last character', () => {
    for (const name of [
      'tad 0616',
      'tad@0616',
      '陳老師abcde',
      'ａｂｃｄｅｆ',
      '.tad0616',
      'tad0616-',
      '_tad0616',
    ]) {
      expect(codes(name)).toContain('username.characters');
    }
  });

  it('refuses anything shaped like a national ID or resident number, in any case', () => {
    expect(codes('A123456789')).toEqual(['username.national_id']);
    expect(codes('xa223456789')).toEqual(['username.national_id']);
    expect(codes('ab12345678x')).toEqual(['username.national_id']);
    expect(codes('F812345678')).toEqual(['username.national_id']);
  });

  it('refuses mobile numbers anywhere', () => {
    expect(codes('0912345678')).toEqual(['username.mobile']);
    expect(codes('me0912345678')).toEqual(['username.mobile']);
    expect(codes('0812345678')).toEqual([]);
  });

  it('refuses names containing a unit code, name or abbreviation, case-insensitively', () => {
    expect(validateCountyUsername('t114620', units)).toEqual([
      { code: 'username.unit_name', unitCode: '114620', matched: '114620' },
    ]);
    expect(validateCountyUsername('PZJH.chen', units)).toEqual([
      { code: 'username.unit_name', unitCode: '114620', matched: 'pzjh' },
    ]);
    expect(codes('cycedu01lin')).toEqual(['username.unit_name']);
    // A one-letter abbreviation is not used as a term.
    expect(codes('xavier')).toEqual([]);
    expect(validateCountyUsername('t114620', [])).toEqual([]);
  });

  it('reports every broken rule at once', () => {
    expect(codes('0912345678 A123456789')).toEqual([
      'username.length',
      'username.characters',
      'username.national_id',
      'username.mobile',
    ]);
  });
});

describe('normalizeUsername', () => {
  it('makes uniqueness case-insensitive', () => {
    expect(normalizeUsername(' Tad0616 ')).toBe(normalizeUsername('tad0616'));
  });
});
