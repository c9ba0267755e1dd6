/** Seconds since the epoch, as oidc-provider counts a payload's `iat` and `exp` and a sign-in's `auth_time`. */
export const epochSeconds = (): number => Math.floor(Date.now() / 1000);
