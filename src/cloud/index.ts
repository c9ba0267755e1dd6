/**
 * The national education cloud (SPEC §2): county login brokering, first-login account creation,
 * cloud accounts `name@mail.edu.tw`, the admin console and the OIDC provider.
 *
 * Public API for features mounted on the cloud app (e.g. the SAML IdP in `./saml/`):
 *
 * - `buildCloudApp(ctx, extensions)` builds the app; each `CloudExtension` is
 *   `(app, services) => void | Promise<void>` and registers its routes on `app`, after the cloud's
 *   own routes and with the cloud session available. Add yours to `cloudExtensions` in `role.ts`
 *   (and your `21xx_…` migrations to `cloudRole.migrations`).
 * - `currentCloudAccount(request)` → the signed-in, active `CloudAccount` of this browser, or
 *   `undefined` (not signed in, or suspended since). `services.emailOf(account)` gives
 *   `name@mail.edu.tw`; `account.displayName`, `familyName`, `givenName` are the person's names.
 * - `cloudLoginUrl(returnTo)` → `/login?return_to=…`: send an unauthenticated browser there and
 *   it comes back to `returnTo` after signing in (cloud password or county login, first login
 *   included). `returnTo` must be a path on the cloud; anything else is replaced by `/account`
 *   (`safeReturnTo` of platform/http does the check).
 * - `requireCloudAccount(request, reply)` → the account, or sends that redirect and returns
 *   `undefined`.
 * - `cloudAuthentication(request)` → `{ time, amr, county? }` of the current sign-in.
 */
export type { CloudAccount, LinkedIdentity } from './account/accounts.ts';
export { buildCloudApp, CLOUD_SESSION_COOKIE, type CloudExtension } from './app.ts';
export { cloudMigrations } from './migrations.ts';
export { cloudExtensions, cloudRole } from './role.ts';
export type { CloudTables } from './schema.ts';
export type { CloudServices } from './services.ts';
export {
  type CloudAuthentication,
  cloudAuthentication,
  cloudLoginUrl,
  currentCloudAccount,
  requireCloudAccount,
} from './session.ts';
