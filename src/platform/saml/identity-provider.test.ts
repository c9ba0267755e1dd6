import * as samlify from 'samlify';
import { describe, expect, it, vi } from 'vitest';
import { identityProviderWithoutLogout } from './identity-provider.ts';

const SSO = 'https://idp.example/saml/sso';

describe('an identity provider without SAML logout', () => {
  it('is built without samlify’s console warning, and its metadata has no SingleLogoutService', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const idp = identityProviderWithoutLogout({
        entityID: 'https://idp.example/saml',
        singleSignOnService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: SSO }],
      });
      expect(warn).not.toHaveBeenCalled();
      expect(idp.getMetadata()).toContain(SSO);
      expect(idp.getMetadata()).not.toContain('SingleLogoutService');
      // Only that warning is left out, and only while the entity is built.
      console.warn('another warning');
      expect(warn).toHaveBeenCalledWith('another warning');
      samlify.IdentityProvider({
        entityID: 'https://idp.example/saml',
        singleSignOnService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: SSO }],
      });
      expect(warn).toHaveBeenLastCalledWith(expect.stringContaining('SingleLogoutService'));
    } finally {
      warn.mockRestore();
    }
  });
});
