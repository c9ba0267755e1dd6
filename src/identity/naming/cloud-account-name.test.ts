import { describe, expect, it } from 'vitest';
import {
  accountNameBase,
  CLOUD_ACCOUNT_NAME_PATTERN,
  isReservedAccountName,
  normalizeAccountName,
  suggestAccountNames,
  validateCloudAccountName,
} from './cloud-account-name.ts';

function codes(name: string): string[] {
  return validateCloudAccountName(name).map((v) => v.code);
}

describe('validateCloudAccountName', () => {
  it('accepts valid names', () => {
    for (const name of ['tad0616', 'chen.wei', 'mary_lin', 'abcdef', 'a'.repeat(20), 'w1_2.3']) {
      expect(codes(name)).toEqual([]);
    }
  });

  it('requires a lowercase letter first', () => {
    expect(codes('0tad0616')).toEqual(['account_name.start']);
    expect(codes('_tad0616')).toEqual(['account_name.start']);
    expect(codes('Tad0616')).toEqual(['account_name.start', 'account_name.characters']);
  });

  it('requires 6 to 20 characters', () => {
    expect(codes('abcde')).toEqual(['account_name.length']);
    expect(codes('a'.repeat(21))).toEqual(['account_name.length']);
    expect(codes('')).toEqual(['account_name.start', 'account_name.length']);
  });

  it('allows only lowercase letters, digits, _ and .', () => {
    for (const name of ['tad-0616', 'tad 0616', 'tad@0616', 'tadé0616', 'tAd0616']) {
      expect(codes(name)).toEqual(['account_name.characters']);
    }
  });

  it('refuses a trailing dot and two dots in a row (Google refuses such addresses)', () => {
    expect(codes('dotwalk29.')).toEqual(['account_name.dots']);
    expect(codes('lin..xh')).toEqual(['account_name.dots']);
    expect(codes('lin...xhx')).toEqual(['account_name.dots']);
    expect(codes('.linxhx')).toEqual(['account_name.start']);
    expect(codes('lin.x.h')).toEqual([]);
    expect(codes('lin._xh')).toEqual([]);
  });

  it('the HTML pattern accepts exactly the names the rule accepts (reserved names aside)', () => {
    const pattern = new RegExp(`^(?:${CLOUD_ACCOUNT_NAME_PATTERN})$`, 'v');
    const names = [
      'tad0616',
      'chen.wei',
      'w1_2.3',
      'dotwalk29.',
      'lin..xh',
      'a.b.c.d.',
      'abcde',
      'a'.repeat(21),
    ];
    for (const name of [...names, 'a.'.repeat(10), `${'a.'.repeat(9)}ab`, '_abcdef', 'Abcdef']) {
      expect(pattern.test(name), name).toBe(validateCloudAccountName(name).length === 0);
    }
  });

  it('refuses reserved names and their obvious disguises', () => {
    expect(codes('administrator')).toEqual(['account_name.reserved']);
    expect(codes('postmaster')).toEqual(['account_name.reserved']);
    expect(codes('admin_01')).toEqual(['account_name.reserved']);
    expect(codes('sup.port')).toEqual(['account_name.reserved']);
    expect(codes('noreply2')).toEqual(['account_name.reserved']);
    expect(isReservedAccountName('moe')).toBe(true);
    expect(isReservedAccountName('moemoe')).toBe(false);
    expect(codes('supporter')).toEqual([]);
  });
});

describe('normalizeAccountName', () => {
  it('trims and lowercases', () => {
    expect(normalizeAccountName(' Tad0616 ')).toBe('tad0616');
  });
});

describe('accountNameBase', () => {
  it('derives a valid base from free text', () => {
    expect(accountNameBase('Tad0616')).toBe('tad0616');
    expect(accountNameBase('tad')).toBe('tad123');
    expect(accountNameBase('0616abc')).toBe('t0616abc');
    expect(accountNameBase('Wu-Hung.Kai')).toBe('wuhung.kai');
    expect(accountNameBase('__a..b__')).toBe('a.b123');
    expect(accountNameBase('abcdefghijklmnopqrstuvwxyz')).toBe('abcdefghijklmnopqrst');
    expect(accountNameBase('陳老師')).toBeUndefined();
  });
});

describe('suggestAccountNames', () => {
  const free = async () => false;

  it('suggests the county username first, then close variants', async () => {
    expect(await suggestAccountNames({ username: 'Tad0616' }, free)).toEqual([
      'tad0616',
      'tad06162',
      'tad0616.tw',
      'tad0616_1',
      'tad06163',
    ]);
  });

  it('skips names that are taken', async () => {
    const taken = new Set(['tad0616', 'tad06162']);
    const asked: string[] = [];
    const result = await suggestAccountNames(
      { username: 'tad0616' },
      async (name) => {
        asked.push(name);
        return taken.has(name);
      },
      3,
    );
    expect(result).toEqual(['tad0616.tw', 'tad0616_1', 'tad06163']);
    expect(asked).toEqual(['tad0616', 'tad06162', 'tad0616.tw', 'tad0616_1', 'tad06163']);
  });

  it('uses the email local part, without a sub-address', async () => {
    expect(await suggestAccountNames({ email: 'Wu.Hung+news@example.com' }, free, 2)).toEqual([
      'wu.hung',
      'wu.hung2',
    ]);
    expect(await suggestAccountNames({ username: 'tad0616', email: 'wu.hung@example.com' }, free, 3)).toEqual(
      ['tad0616', 'wu.hung', 'tad06162'],
    );
  });

  it('pads short seeds and prefixes seeds that do not start with a letter', async () => {
    expect(await suggestAccountNames({ username: 'ab' }, free, 1)).toEqual(['ab1234']);
    expect(await suggestAccountNames({ username: '2024lin' }, free, 1)).toEqual(['t2024lin']);
  });

  it('keeps variants within 20 characters', async () => {
    const result = await suggestAccountNames({ username: 'abcdefghijklmnopqrst' }, free, 4);
    expect(result).toEqual([
      'abcdefghijklmnopqrst',
      'abcdefghijklmnopqrs2',
      'abcdefghijklmnopq.tw',
      'abcdefghijklmnopqr_1',
    ]);
    for (const name of result) expect(validateCloudAccountName(name)).toEqual([]);
  });

  it('never varies a reserved seed and falls back to a generic base', async () => {
    expect(await suggestAccountNames({ username: 'admin', email: 'root@example.com' }, free, 2)).toEqual([
      'teacher',
      'teacher2',
    ]);
    expect(await suggestAccountNames({ username: 'admin', email: 'wu.chen@example.com' }, free, 1)).toEqual([
      'wu.chen',
    ]);
  });

  it('gives up after a bounded number of lookups', async () => {
    let lookups = 0;
    const result = await suggestAccountNames({ username: 'tad0616' }, async () => {
      lookups++;
      return true;
    });
    expect(result).toEqual([]);
    expect(lookups).toBeLessThanOrEqual(200);
    expect(lookups).toBeGreaterThan(10);
  });

  it('returns only valid names', async () => {
    const result = await suggestAccountNames({ username: '.._x-_..', email: '@' }, free, 5);
    expect(result).toHaveLength(5);
    for (const name of result) expect(validateCloudAccountName(name)).toEqual([]);
  });
});
