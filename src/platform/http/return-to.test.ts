import { describe, expect, it } from 'vitest';
import { OPEN_REDIRECT_BYPASSES } from '../testing/open-redirects.ts';
import { safeReturnTo } from './return-to.ts';

describe('safeReturnTo', () => {
  it.each(OPEN_REDIRECT_BYPASSES)('refuses %j', (value) => {
    expect(safeReturnTo(value, { fallback: '/account' })).toBe('/account');
  });

  it('refuses what is not a string, empty, or too long', () => {
    for (const value of [undefined, null, 42, ['/account/a'], '', `/${'a'.repeat(2001)}`]) {
      expect(safeReturnTo(value, { fallback: '/home' })).toBe('/home');
    }
  });

  it('keeps a path of this site with its query and fragment', () => {
    const keep = (value: string) => safeReturnTo(value, { fallback: '/account' });
    expect(keep('/interaction/abc123')).toBe('/interaction/abc123');
    expect(keep('/saml/sso/continue?SAMLRequest=a%2Bb%2F%3D&RelayState=x')).toBe(
      '/saml/sso/continue?SAMLRequest=a%2Bb%2F%3D&RelayState=x',
    );
    expect(keep('/a/b/../c?q=%E7%8E%8B#top')).toBe('/a/c?q=%E7%8E%8B#top');
    expect(keep('/a//b')).toBe('/a//b');
  });

  it('keeps the value under a required prefix once resolved', () => {
    const county = (value: string) => safeReturnTo(value, { fallback: '/cyc/account', within: '/cyc/' });
    expect(county('/cyc/manage')).toBe('/cyc/manage');
    expect(county('/tn/manage')).toBe('/cyc/account');
    expect(county('/cyc/../tn/manage')).toBe('/cyc/account');
    expect(county('/cyc/..//evil.example')).toBe('/cyc/account');
    expect(county('/cyc/%2e%2e/%2fevil.example')).toBe('/cyc/account');
  });
});
