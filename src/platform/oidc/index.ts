/**
 * # OpenID Connect provider core (county portal and education cloud)
 *
 * One piece serves every issuer EduGate runs: oidc-provider configured for the contract of the
 * deployed Taiwanese providers (SPEC §4) — paths `/.well-known/openid-configuration`,
 * `/oidc/v1/azp`, `/oidc/v1/token`, `/oidc/v1/userinfo` (GET, POST), `/oidc/v1/jwksets`,
 * `/oidc/v1/logout-to-go` = `/oidc/v1/userlogout`; code flow, PKCE required for public clients
 * and optional for confidential ones, `client_secret_basic` and `client_secret_post` both
 * accepted, refresh tokens without `offline_access`, RS256 ID tokens carrying the scope claims,
 * `expires_in` 3600.
 *
 * ## Using it in a role
 *
 * ```ts
 * // migrations: the role names the migration with its own prefix
 * migrations: { ...oidcMigrations('1101_oidc_provider') }
 *
 * const oidc = await OidcProvider.create({
 *   tenant: 'cyc',                        // key in the role database; 'default' for one issuer
 *   issuer: `${ctx.urls.county}/cyc`,     // a path is fine; routes mount under it
 *   db: ctx.db, redis: ctx.redis,         // Redis (when set) keeps codes, access tokens, sessions
 *   dbKind: ctx.dbKind,                   // PostgreSQL: those commit without waiting for the flush
 *   installationSecret: ctx.secrets.secret,
 *   registrationToken: ctx.secrets.registrationToken, // DCR at /oidc/v1/registration
 *   scopes: { openid: ['sub'], email: ['email', 'email_verified'], … },  // scope → claims
 *   consentLines: { openid: { 'zh-TW': '檢視您的網路認證資料', en: '…' }, … },
 *   accounts: {                           // the host port over the role's own tables
 *     prefetch: (id, use) => readAccount(id),  // once per request, as soon as a token names the account
 *     findAccount: (account, use) => ({ accountId: account.id,
 *       // only what the token's scopes (and claims asked for by name) need
 *       claims: async (_use, scope, claims) => claimsOf(account, wantedClaims(SCOPES, scope, claims)) }) },
 *   prompts: [{ name: 'profile', check: ({ account }) => incomplete(account) ? { missing: […] } : undefined }],
 *   i18n: app.i18n, brand: app.brand, secureCookies: ctx.config.secureCookies, log: ctx.log,
 *   onProvider: (provider) => provider.on('end_session.success', …), // each (re)built instance
 * });
 * await mountProtocol(app, oidc);          // on a context WITHOUT the session plugin
 * await mountInteractions(tenantScope, oidc, {   // where the session plugin runs
 *   login: async (request, reply, view) => …render login form posting to `${view.action}/login`…,
 *   prompts: { profile: async (request, reply, view) => reply.redirect(`…/profile?next=${view.action}/continue`) },
 * });
 * // after the host's own login route authenticated the person (authTime: when the password was
 * // checked, or when the reused session signed in — it becomes auth_time):
 * return finishLogin(oidc, request, reply, accountId, { authTime, amr: ['pwd'] });
 * // resource APIs:
 * await mountResources(app, oidc, [{ path: '/cncresource/api/v1/guid', scopes: ['guid'], respond: async (token) => ({ … }) }]);
 * // admin API + CLI (`edugate client add …`, `edugate keys rotate …`):
 * await adminApi(app, ctx.secrets.adminToken, (api) => oidcAdminRoutes(api, (tenant) => issuers.get(tenant)));
 * ```
 *
 * ## Pieces
 * - `OidcProvider` (provider.ts): `create(options)`, `.provider` (oidc-provider instance),
 *   `.clients` (`ClientRegistry`: add / ensure / update / rotateSecret / remove / list / get),
 *   `.keys` (`SigningKeyStore`: rotate / list), `.rotateKeys()` (rotate + reload),
 *   `.consents` (`ConsentStore`), `.maintain()` (sweep expired artifacts, prune old keys; call
 *   periodically), `.sync()` (done before each protocol request and resource API call: picks up
 *   clients and keys another node changed, within 2 seconds).
 * - `onProvider(provider)` option: called with every oidc-provider instance the core builds (at
 *   creation and again when the signing keys change); attach event listeners there, not per request.
 * - Interactions (http.ts): the prompt `login` goes to `handlers.login`, `consent` is the generic
 *   consent page (one line per scope, 同意授權 / 拒絕; consent is remembered per account and
 *   client and asked again when the scopes grow), host prompts to `handlers.prompts[name]`.
 *   Host pages live under `view.action` (`${issuerPath}/interaction/${uid}`), where the
 *   interaction cookie is sent. `finishLogin`, `finishInteraction` (resume; host checks re-run),
 *   `abortInteraction` (OAuth error to the client), GET `${view.action}/continue` resumes too.
 * - Re-authentication: `view.reauthenticate` says the client sent `prompt=login` or a `max_age`
 *   the provider's sign-in is older than. A live host session then answers only when
 *   `satisfiesLogin(view, authTime)` (signed in after the request started, or within `max_age`);
 *   otherwise show the password form again. `finishLogin` refuses a sign-in that does not
 *   answer, and its `authTime` becomes the ID token's `auth_time`.
 * - Accounts (the host port, `OidcAccountPort<A>`, `A` the host's own record): `prefetch(id, use)`
 *   reads an account; the provider calls it once per request and account, as soon as a code, token
 *   or session naming the account is found (beside the provider's own reads), and keeps the record
 *   in the request scope for every later step: oidc-provider's lookups, the host prompts
 *   (`check({ account })`) and resource APIs (`token.account`). `findAccount(account, use)` says what
 *   the provider may release: `interaction` for the authorization request (prompts decide),
 *   `token` for token, userinfo and resource APIs — return undefined for a suspended or departed
 *   account and every token of it stops working. For `token` the host may answer `prefetch` from a
 *   cache of its own that a change of the account reaches before the next request
 *   (docs/DEVELOPING.md). `claims(use, scope, claims)` gets what oidc-provider needs;
 *   `wantedClaims(scopes, scope, claims)` gives the claim names to compute.
 * - Request scope (request-scope.ts): what one oidc-provider request or resource API call keeps for
 *   its later steps, in typed slots (`ScopeSlot<T>`) that only the module declaring them reads: the
 *   artifact store's reads ahead, the provider's account records. Nothing outlives its request.
 * - Clients: exact redirect URIs; per-client allowed scopes (others → `invalid_scope`); secret
 *   returned once, stored encrypted (AES-256-GCM, key derived from the installation secret).
 *   Served from memory; every change through the registry moves the issuer's change counter
 *   (`oidc_versions`, versions.ts) so other nodes forget their copy within 2 seconds.
 * - Signing keys: RS256, private part encrypted; rotation adds a key that signs at once and keeps
 *   the old one published for `ttl.keyRetention` (7 days).
 * - Storage: tables from `oidcMigrations(name)`; grants and refresh tokens always in the
 *   database, the rest in Redis when configured. One row per artifact (JSON payload), found by
 *   primary key, written by one statement; a code or token is read together with its grant and
 *   its session (when in the database), which the next steps of the same request use instead of
 *   reading them again; the account it names is asked of the host port at the same moment.
 * - Sign-out (logout.ts, backchannel-logout.ts): `endBrowserSession` / `endSessionByUid` end a
 *   provider session as its end-session endpoint does (back-channel logout tokens to the clients
 *   that registered `backchannel_logout_uri`, grants revoked); `revokeAccount` revokes every
 *   session, grant and token of an account; `hostSession` (option) makes the provider's session
 *   rest on the host's own browser session (asked as soon as an authorization finds the provider
 *   session; a host that reads the account with its session answers `{ account }`, one read for
 *   both); `BackchannelLogoutReceiver` is the relying-party side.
 * - Resource APIs (resource.ts): `verifyAccessToken(oidc, request, scopes)`,
 *   `mountResources(app, oidc, routes, prefix)` (GET with a bearer header at the front door, the
 *   rest through Fastify); errors per RFC 6750.
 */
export { DatabaseAdapter, DURABLE_MODELS, RedisAdapter, sweepExpiredPayloads } from './adapter.ts';
export { oidcAdminRoutes } from './admin.ts';
export {
  BACKCHANNEL_LOGOUT_EVENT,
  BackchannelLogoutReceiver,
  type LogoutRequest,
  type LogoutTokenIssuer,
  mountBackchannelLogout,
} from './backchannel-logout.ts';
export { clientCommand, keysCommand } from './cli.ts';
export { type ClientInput, type ClientRecord, ClientRegistry, type IssuedClient } from './clients.ts';
export { ConsentStore } from './consents.ts';
export { revokeGrant } from './grant-revocation.ts';
export {
  abortInteraction,
  ENDED_BY_USER,
  finishInteraction,
  finishLogin,
  type InteractionHandler,
  type InteractionHandlers,
  type InteractionView,
  interactionView,
  type LoginProof,
  mountInteractions,
  mountProtocol,
  satisfiesLogin,
} from './http.ts';
export { type SigningKeyInfo, SigningKeyStore } from './keys.ts';
export {
  type EndedSession,
  endBrowserSession,
  endProviderSession,
  endSessionByUid,
  revokeAccount,
} from './logout.ts';
export { oidcMessages } from './messages.ts';
export { oidcMigrations } from './migrations.ts';
export { DISCOVERY_PATH, INTERACTION_PATH, LOGOUT_ALIAS, OIDC_ROUTES } from './paths.ts';
export {
  type AccountUse,
  type ConsentLines,
  HOST_SESSION_ENDED,
  type HostSessionAnswer,
  type OidcAccount,
  type OidcAccountPort,
  type OidcPrompt,
  OidcProvider,
  type OidcProviderOptions,
  type OidcTtl,
  type RequestedClaims,
  wantedClaims,
} from './provider.ts';
export { currentScope, RequestScope, ScopeSlot, withRequestScope } from './request-scope.ts';
export {
  BearerError,
  mountResources,
  type ResourceRoute,
  sendBearerError,
  type TokenInfo,
  verifyAccessToken,
} from './resource.ts';
export { type OidcTables, oidcView } from './schema.ts';
export { oidcSealedColumns } from './sealed.ts';
export { SecretBox } from './secret-box.ts';
export { announceSignInChanges, SignInCopies, type SignInRow } from './sign-in-copies.ts';
export { ChangeVersion } from './versions.ts';
