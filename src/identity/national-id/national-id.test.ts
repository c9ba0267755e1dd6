import { describe, expect, it } from 'vitest';
import {
  isValidNationalId,
  looksLikeNationalId,
  maskNationalId,
  normalizeNationalId,
  parseNationalId,
} from './national-id.ts';

describe('parseNationalId', () => {
  it('accepts the SPEC examples', () => {
    expect(parseNationalId('A123456789')).toEqual({ ok: true, value: 'A123456789', kind: 'national' });
    expect(parseNationalId('A800000014')).toEqual({ ok: true, value: 'A800000014', kind: 'resident-new' });
  });

  it('accepts old resident numbers, counting the second letter as its value mod 10', () => {
    // C = 12 → 2: 1 + 0 + 8·2 + 7·1 + 6·2 + 5·3 + 4·4 + 3·5 + 2·6 + 7 + 9 = 110
    expect(parseNationalId('AC12345679')).toEqual({ ok: true, value: 'AC12345679', kind: 'resident-old' });
    expect(parseNationalId('AC12345678')).toEqual({ ok: false, reason: 'checksum' });
  });

  it('uses the non-alphabetical letter values (I = 34, O = 35)', () => {
    expect(parseNationalId('I100000003').ok).toBe(true);
    expect(parseNationalId('O100000004').ok).toBe(true);
    expect(parseNationalId('I100000009').ok).toBe(false);
  });

  it('normalizes case, whitespace and full-width input', () => {
    expect(parseNationalId('  a123456789 ')).toEqual({ ok: true, value: 'A123456789', kind: 'national' });
    expect(parseNationalId('Ａ１２３４５６７８９')).toMatchObject({ ok: true, value: 'A123456789' });
  });

  it('refuses a wrong check digit', () => {
    for (const last of [0, 1, 2, 3, 4, 5, 6, 7, 8]) {
      expect(parseNationalId(`A12345678${last}`)).toEqual({ ok: false, reason: 'checksum' });
    }
  });

  it('refuses malformed numbers', () => {
    for (const input of [
      '',
      'A12345678',
      'A1234567890',
      '1123456789',
      'A323456789',
      'AE12345678',
      'A12345678X',
    ]) {
      expect(parseNationalId(input)).toEqual({ ok: false, reason: 'format' });
    }
    expect(isValidNationalId('A123456788')).toBe(false);
    expect(isValidNationalId('A123456789')).toBe(true);
  });
});

describe('maskNationalId', () => {
  it('keeps only two characters at each end', () => {
    expect(maskNationalId('A123456789')).toBe('A1******89');
    expect(maskNationalId(' a123456789')).toBe('A1******89');
    expect(maskNationalId('AB1')).toBe('***');
  });
});

describe('looksLikeNationalId', () => {
  it('finds the pattern anywhere and in any case', () => {
    expect(looksLikeNationalId('a123456789')).toBe(true);
    expect(looksLikeNationalId('xxA223456789yy')).toBe(true);
    expect(looksLikeNationalId('ab12345678')).toBe(true);
    // The checksum does not matter: anything shaped like a number is refused as a username.
    expect(looksLikeNationalId('Z900000000')).toBe(true);
  });

  it('ignores strings that are not shaped like one', () => {
    expect(looksLikeNationalId('tad0616')).toBe(false);
    expect(looksLikeNationalId('A3123456789')).toBe(false);
    expect(looksLikeNationalId('A12345678')).toBe(false);
  });
});

describe('normalizeNationalId', () => {
  it('trims and uppercases', () => {
    expect(normalizeNationalId(' b123456789\n')).toBe('B123456789');
  });
});
