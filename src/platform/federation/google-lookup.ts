// The contract between the education cloud (asking) and the activation portal (answering) about
// Google addresses: the cloud signs a lookup token, the portal answers. Both roles import it from
// here, so neither imports the other.

/** Where the cloud asks (GET, `Authorization: Bearer <lookup token>`). */
export const GOOGLE_LOOKUP_PATH = '/api/cloud/google-account';
/**
 * The `typ` of a lookup token: a JWT the cloud signs with its OIDC issuer key, `aud` the portal's
 * client id at the cloud, living a minute, with either `sub` (a cloud subject) or `google_email`.
 * The `typ` keeps ID tokens (same issuer, same audience) from being accepted as lookups.
 */
export const GOOGLE_LOOKUP_TYP = 'edugate-google-lookup+jwt';

/** The answers: `{sub, googleEmail}` (null: none provisioned or adopted) or `{googleEmail, available}`. */
export type GoogleLinkAnswer = { sub: string; googleEmail: string | null };
export type GoogleAddressAnswer = { googleEmail: string; available: boolean };
