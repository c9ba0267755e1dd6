/**
 * County teacher portal (縣市教師資訊應用服務入口), SPEC §1. Public API for other county modules
 * (first of all the county OIDC provider in `./oidc/`):
 *
 * App and extensions — `buildCountyApp(ctx, extensions)` (app.ts) serves every tenant (county) as an
 * encapsulated Fastify plugin with prefix `/{tenant}` and its own session (cookie
 * `edugate_county_{tenant}`, path `/{tenant}`); a tenant created while the role runs is served
 * at once by an app of its own built the same way (`tenants/portals.ts`). A `CountyExtension` is
 * `{ name, catalogues?, migrations?, registerTenant?(tenantApp, tenant, county),
 * registerTenantRoot?(app, tenant, county), registerRoot?(app, county) }`;
 * `registerTenant` runs inside each tenant plugin, where `request.session` is the tenant's session
 * and `request.countyAccount` the signed-in active account (or undefined); `registerTenantRoot`
 * runs once per tenant outside its plugin (protocol endpoints, no session). Plug an extension in
 * with `createCountyRole([extension])` (role.ts); `countyRole` is the role the runtime starts.
 *
 * Services — `countyServices(ctx)` (services.ts) returns the `County` object every function takes:
 * `{ db, vault (national IDs), hasher (argon2id, bounded queue), links (signed one-time links),
 * signInGuard(tenant) (sign-in budgets + proof-of-work challenge), deviceCookies(tenant), availabilityThrottle,
 * tenantUrl(tenant) }`.
 *
 * Accounts (`./accounts/`):
 * - `authenticate(county, { tenant, username, password, ip, solution?, device?, signal? })` → a decision,
 *   writing no sign-in: `{ ok: true, account, newHash }` or a typed failure `{ ok: false, reason: 'captcha_required' | 'captcha_wrong' | 'invalid_credentials'
 *   | 'throttled' | 'overloaded' | 'inactive' }` (throttled/overloaded carry `retryAfterSeconds`;
 *   inactive carries `state`). Sign-in budgets (taken before the hash), challenge policy, audit of
 *   refusals and the rehash included; the same password check (`checkPassword`, password-check.ts)
 *   serves RADIUS.
 * - `captchaRequired(county, { tenant, username?, ip, device? })`.
 * - `findAccountById(db, tenant, id)`, `findAccountByUsername(db, tenant, username)`.
 * - `profileCompleteness(account)` → `{ complete, missing: ('real_name' | 'national_id' | 'unit')[] }`.
 * - `identityClaims(county, account)` → `{ sub, preferred_username, name, family_name, given_name,
 *   email, email_verified, unit_code, unit_name, titles, eduinfo, guid, personid }` (`guid` =
 *   SHA-256 hex of the national ID; `personid` = the decrypted number; both null without one).
 *
 * Login (`./login/`): `loginForm(request, { action, captcha, username?, error?, hidden? })` renders
 * the form (帳號, 密碼, the proof-of-work challenge when asked); `handleLogin(county, tenant, request, reply)`
 * handles its POST and signs the tenant session in, returning `{ kind: 'signed_in', account }` or
 * `{ kind: 'form', status, headers, form }` to re-render with `loginForm(request, { action, ...form })`
 * (apply status/headers with `applyOutcome(reply, outcome)`); `loginFormState(county, tenant, request)`
 * gives the options of a first display; `recordSignIn(county, request, { account, newHash, ip })`
 * writes an allowed sign-in (login/sign-in.ts); `signOut`, `loadSignedIn` manage the session.
 *
 * Tenants and units (`./tenants/tenants.ts`): `listTenants`, `findTenant`, `findUnit`, `listUnits`.
 * Views: `countyPage(request, tenant, { title, main })` (views/page.ts) and form helpers (views/form.ts).
 */
export {
  type Account,
  type AuthFailure,
  type AuthResult,
  authenticate,
  type CountyIdentityClaims,
  captchaRequired,
  findAccountById,
  findAccountByUsername,
  identityClaims,
  type ProfileCompleteness,
  profileCompleteness,
} from './accounts/index.ts';
export { buildCountyApp, type CountyExtension, sessionCookieName } from './app.ts';
export {
  applyOutcome,
  handleLogin,
  type LoginFormOptions,
  type LoginOutcome,
  loadSignedIn,
  loginForm,
  loginFormState,
  recordSignIn,
  signOut,
} from './login/index.ts';
export { countyRole, createCountyRole } from './role.ts';
export type { AccountRole, AccountState, CountyTables } from './schema.ts';
export { type County, countyServices } from './services.ts';
export { findTenant, findUnit, listTenants, listUnits, type Tenant, type Unit } from './tenants/tenants.ts';
export { countyPage } from './views/page.ts';
