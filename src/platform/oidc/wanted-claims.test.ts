import { describe, expect, it } from 'vitest';
import { wantedClaims } from './provider.ts';

const SCOPES = {
  openid: ['sub'],
  profile: ['name', 'preferred_username'],
  email: ['email', 'email_verified'],
};

describe('wantedClaims', () => {
  it('names the claims of each scope, and every claim when no scope is given', () => {
    expect([...(wantedClaims(SCOPES, 'openid profile') ?? [])].sort()).toEqual([
      'name',
      'preferred_username',
      'sub',
    ]);
    expect(wantedClaims(SCOPES, undefined)).toBeUndefined();
    expect([...(wantedClaims(SCOPES, 'openid unknown') ?? [])]).toEqual(['sub']);
  });

  it('adds claims asked for by name to that call only', () => {
    const plain = wantedClaims(SCOPES, 'openid email');
    const named = wantedClaims(SCOPES, 'openid email', { name: null });
    expect(named?.has('name')).toBe(true);
    expect(plain?.has('name')).toBe(false);
    expect(wantedClaims(SCOPES, 'openid email')?.has('name')).toBe(false);
    // The same scope string gives the same answer each time.
    expect(wantedClaims(SCOPES, 'openid email')).toBe(plain);
  });
});
