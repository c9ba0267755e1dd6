import { describe, expect, it } from 'vitest';
import { CookieKeys } from './cookie-keys.ts';

// Signatures made by `keygrip` (the `cookies` package's default key ring) with these keys: a
// browser's cookie signed before EduGate brought its own key ring stays valid.
const KEYGRIP = {
  current: { key: 'current-key', data: 'edugate_oidc_cyc=abc123', signature: 'pB2YHzv2qbC_04rxGb0HtM9KLl0' },
  older: { key: 'older-key', data: 'edugate_oidc_cyc=abc123', signature: '0-IYfIQ8Z6HLPzn5cL4_48BQ3wQ' },
  unicode: { key: '日本語鍵', data: 'x=1', signature: 'SucAIcVYyi_52XvtQ6f8rEmiyug' },
};

describe('CookieKeys', () => {
  it('signs as keygrip does, with the newest key', () => {
    expect(new CookieKeys([KEYGRIP.current.key, KEYGRIP.older.key]).sign(KEYGRIP.current.data)).toBe(
      KEYGRIP.current.signature,
    );
    expect(new CookieKeys([KEYGRIP.unicode.key]).sign(KEYGRIP.unicode.data)).toBe(KEYGRIP.unicode.signature);
  });

  it('tells which key made a signature, and accepts a signature of an older key', () => {
    const keys = new CookieKeys([KEYGRIP.current.key, KEYGRIP.older.key]);
    expect(keys.index(KEYGRIP.current.data, KEYGRIP.current.signature)).toBe(0);
    expect(keys.index(KEYGRIP.older.data, KEYGRIP.older.signature)).toBe(1);
    expect(keys.verify(KEYGRIP.older.data, KEYGRIP.older.signature)).toBe(true);
    // A key dropped from the ring: its signatures no longer hold.
    expect(new CookieKeys([KEYGRIP.current.key]).verify(KEYGRIP.older.data, KEYGRIP.older.signature)).toBe(
      false,
    );
  });

  it('refuses a changed value, a changed, shortened or missing signature', () => {
    const keys = new CookieKeys([KEYGRIP.current.key]);
    const { data, signature } = KEYGRIP.current;
    expect(keys.index('edugate_oidc_cyc=abc124', signature)).toBe(-1);
    expect(keys.index(data, `${signature.slice(0, -1)}A`)).toBe(-1);
    expect(keys.index(data, signature.slice(0, -1))).toBe(-1);
    expect(keys.index(data, `${signature}A`)).toBe(-1);
    expect(keys.index(data, '')).toBe(-1);
    expect(keys.index(data, undefined as unknown as string)).toBe(-1);
  });

  it('needs a key', () => {
    expect(() => new CookieKeys([])).toThrow();
  });
});
