/** The endpoint paths of the deployed Taiwanese providers (SPEC §4), relative to the issuer. */
export const OIDC_ROUTES = {
  authorization: '/oidc/v1/azp',
  token: '/oidc/v1/token',
  userinfo: '/oidc/v1/userinfo',
  jwks: '/oidc/v1/jwksets',
  end_session: '/oidc/v1/logout-to-go',
  registration: '/oidc/v1/registration',
  revocation: '/oidc/v1/revoke',
  introspection: '/oidc/v1/introspect',
  pushed_authorization_request: '/oidc/v1/par',
  code_verification: '/oidc/v1/device',
  device_authorization: '/oidc/v1/device/auth',
  backchannel_authentication: '/oidc/v1/backchannel',
  challenge: '/oidc/v1/challenge',
  credential: '/oidc/v1/credential',
} as const;

/** The second logout path some deployed clients call; it is the same end-session endpoint. */
export const LOGOUT_ALIAS = '/oidc/v1/userlogout';

export const DISCOVERY_PATH = '/.well-known/openid-configuration';

/** Where oidc-provider sends the browser for login, consent and custom prompts (below the issuer). */
export const INTERACTION_PATH = '/interaction';
