import * as samlify from 'samlify';

type IdentityProviderSettings = Parameters<typeof samlify.IdentityProvider>[0];

/** What samlify prints, on the console and outside the log, for an IdP without SingleLogoutService. */
const NO_LOGOUT_SERVICE = 'missing endpoint of SingleLogoutService';

/**
 * samlify's `IdentityProvider` for an identity provider without SAML single logout: EduGate's IdP,
 * whose service providers (Google Workspace) sign out through their own sign-out address, never
 * through SAML logout. samlify would print a warning on the console for every such entity it
 * builds, outside the structured log; that warning alone is left out (any other goes through).
 */
export function identityProviderWithoutLogout(settings: IdentityProviderSettings) {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes(NO_LOGOUT_SERVICE)) warn(...args);
  };
  try {
    return samlify.IdentityProvider(settings);
  } finally {
    console.warn = warn;
  }
}
