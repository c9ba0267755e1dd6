import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import Provider, {
  type Account,
  type Adapter,
  type AdapterPayload,
  type ClientMetadata,
  type Configuration,
  errors,
  interactionPolicy,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { Logger } from 'pino';
import type { Notifications } from '../database/notifications.ts';
import { changeChannel } from '../database/notified-cache.ts';
import { DEPENDENCY_RETRY_AFTER_SECONDS } from '../errors/dependency.ts';
import type { TrustProxy } from '../http/proxy-trust.ts';
import type { I18n } from '../i18n/i18n.ts';
import { SafeHtml } from '../views/html.ts';
import type { Brand } from '../views/layout.ts';
import {
  DatabaseAdapter,
  DURABLE_MODELS,
  RedisAdapter,
  SINGLE_USE_MODELS,
  sweepExpiredPayloads,
} from './adapter.ts';
import { ArtifactCopies } from './artifact-copies.ts';
import { ClientRegistry } from './clients.ts';
import { ConsentStore } from './consents.ts';
import { CookieKeys } from './cookie-keys.ts';
import { revokeGrant, revokingOnReplay } from './grant-revocation.ts';
import { SigningKeyStore } from './keys.ts';
import { type JobRegistry, retryLogoutsThroughJobs } from './logout-delivery.ts';
import { INTERACTION_PATH, OIDC_ROUTES } from './paths.ts';
import { redirectUriProblem } from './redirect-uris.ts';
import { currentScope, ScopeSlot } from './request-scope.ts';
import { type OidcTables, oidcView } from './schema.ts';
import { SecretBox } from './secret-box.ts';
import { GuardedAdapter, protocolCall } from './unavailable.ts';
import { ChangeVersion } from './versions.ts';
import { html, koaPage, koaTranslator } from './views.ts';

/** One line of the consent page per scope, in both languages. */
export type ConsentLines = Record<string, { 'zh-TW': string; en: string }>;

/** The `claims` request parameter as oidc-provider passes it on: claim name → request details. */
export type RequestedClaims = Record<string, unknown>;

/** What the host role knows about a person, as the provider asks for it. */
export interface OidcAccount {
  accountId: string;
  /**
   * The claims to release (with `sub`); oidc-provider keeps those the grant allows. It says what
   * it needs: `use` (`id_token` or `userinfo`), `scope` (the scopes of the token, space-separated)
   * and `claims` (claims asked for by name). `wantedClaims(...)` turns them into claim names, so
   * the host computes only those (decrypting a national ID only when a scope releases it). Called
   * without arguments, return every claim.
   */
  claims(
    use?: string,
    scope?: string,
    claims?: RequestedClaims,
    rejected?: string[],
  ): Promise<Record<string, unknown>>;
}

/**
 * The claim names a `claims(use, scope, claims)` call needs: those of each scope (per `scopes`,
 * the issuer's scope → claims map) and those asked for by name. Undefined (meaning all) when
 * no scope is given. Without claims asked for by name (every userinfo and token call but a few)
 * the set is computed once per scope string and shared: nobody may change it.
 */
export function wantedClaims(
  scopes: Record<string, string[]>,
  scope: string | undefined,
  claims?: RequestedClaims,
): ReadonlySet<string> | undefined {
  if (scope === undefined) return undefined;
  const named = Object.keys(claims ?? {});
  if (named.length > 0) return claimsOf(scopes, scope, named);
  let known = wantedByScope.get(scopes);
  if (!known) {
    known = new Map();
    wantedByScope.set(scopes, known);
  }
  let wanted = known.get(scope);
  if (!wanted) {
    wanted = claimsOf(scopes, scope, []);
    // Scope strings come from grants of the configured scopes: few; the bound is for safety.
    if (known.size >= 256) known.clear();
    known.set(scope, wanted);
  }
  return wanted;
}

const wantedByScope = new WeakMap<Record<string, string[]>, Map<string, ReadonlySet<string>>>();

function claimsOf(scopes: Record<string, string[]>, scope: string, named: string[]): ReadonlySet<string> {
  const wanted = new Set(['sub']);
  for (const name of scope.split(' ')) for (const claim of scopes[name] ?? []) wanted.add(claim);
  for (const claim of named) wanted.add(claim);
  return wanted;
}

/**
 * Why the provider asks about an account. `interaction`: an authorization (the account exists at
 * all; login, consent and host prompts decide the rest), which wants the account as it is now.
 * `token`: tokens, userinfo and resource APIs.
 */
export type AccountUse = 'interaction' | 'token';

/**
 * What a host role tells the provider about its accounts: a port each role implements over its
 * own tables (the provider knows none of them). `A` is the host's own account record.
 */
export interface OidcAccountPort<A> {
  /**
   * Reads the account `accountId` names (undefined when there is none). The provider asks once per
   * request and account, as soon as a code, token or session naming the account is found (so the
   * read runs beside the provider's own reads), and hands the record to every later step of the
   * request: `findAccount`, the host prompts, resource API handlers. For `token` the host may
   * answer from a cache of its own, provided a change of the account (suspension, departure,
   * profile) reaches it before the next request (see docs/DEVELOPING.md).
   */
  prefetch(accountId: string, use: AccountUse): Promise<A | undefined>;
  /**
   * The account as the provider sees it, from its record. For `token`, undefined when the account
   * may not use OIDC any more (suspended, departed, …): tokens, userinfo and resource APIs then
   * fail with `invalid_grant`/`invalid_token`.
   */
  findAccount(account: A, use: AccountUse): OidcAccount | undefined;
}

/**
 * A host-defined step between login and consent (e.g. "profile incomplete", "account
 * suspended"). When `check` returns details, the browser is sent to the interaction page with
 * the prompt `name`, which the host handles; the check runs again when the interaction resumes.
 */
export interface OidcPrompt<A = unknown> {
  name: string;
  check(input: {
    accountId: string;
    /** The account's record as the host port read it for this request (undefined: none). */
    account: A | undefined;
    clientId: string;
    scopes: string[];
  }): Promise<Record<string, unknown> | undefined> | Record<string, unknown> | undefined;
}

export interface OidcProviderOptions<DB = unknown, A = unknown> {
  /** Key of the issuer in the role database (`cyc`, `tn`, or `default` for a one-issuer role). */
  tenant: string;
  /** Public issuer URL; may have a path (`http://localhost:4001/cyc`). */
  issuer: string;
  /** The Fastify prefix the routes are registered under; defaults to the issuer's path. */
  routePrefix?: string;
  /** The role database (any table map: the OIDC tables come from `oidcMigrations`). */
  db: Kysely<DB>;
  /**
   * `ctx.dbKind`. On PostgreSQL, short-lived artifacts kept in the database commit without
   * waiting for the WAL flush (see `DatabaseAdapter`); PGlite (the default) writes as usual.
   */
  dbKind?: 'pglite' | 'postgres';
  /** When set, short-lived artifacts (codes, access tokens, sessions, interactions) live here. */
  redis?: Redis | undefined;
  /**
   * `ctx.notifications`: when given, each node keeps the grants it read in memory and drops one as
   * soon as any node changes or revokes it (the database announces it); without, grants are read
   * from the database every time.
   */
  notifications?: Notifications | undefined;
  /**
   * `ctx.redisNotifications` (with `redis`): each node keeps the access tokens and sign-in
   * sessions it read from Redis in memory and drops one as soon as any node changes it (see
   * ArtifactCopies); without, they are read from Redis every time.
   */
  redisNotifications?: Notifications | undefined;
  /** The installation secret: encrypts client secrets and signing keys, signs cookies. */
  installationSecret: string;
  /**
   * Initial access token for Dynamic Client Registration: without it there is no registration
   * endpoint (none in discovery, 404 at the path).
   */
  registrationToken?: string | undefined;
  /** scope → claims it releases, e.g. `{ openid: ['sub'], email: ['email', 'email_verified'] }`. */
  scopes: Record<string, string[]>;
  /**
   * Scopes released only to clients an administrator granted them (console or CLI), e.g. the
   * county's `personid`. A client that registers itself gets the other scopes and is refused
   * (`invalid_client_metadata`) when it asks for one of these.
   */
  restrictedScopes?: string[];
  consentLines: ConsentLines;
  accounts: OidcAccountPort<A>;
  prompts?: OidcPrompt<A>[];
  i18n: I18n;
  brand: Brand;
  secureCookies: boolean;
  /** Honour X-Forwarded-* (behind a TLS-terminating proxy). */
  /** Who may set X-Forwarded-* (the role app drops them from other peers before they get here). */
  trustProxy?: TrustProxy;
  log: Logger;
  /**
   * The role's job runner: a back-channel logout token whose delivery fails is posted again
   * through it, with backoff (`logout-delivery.ts`). Without it a failed delivery is only logged.
   */
  jobs?: JobRegistry;
  ttl?: Partial<OidcTtl>;
  /**
   * Called with each oidc-provider instance the core builds: at creation and again whenever the
   * signing keys change (the instance is rebuilt then). Attach event listeners here.
   */
  onProvider?: (provider: Provider) => void;
  /**
   * The host's own sign-in of the browser (the portal or cloud session) that the provider's
   * session rests on. Asked at each authorization that finds a provider session: `cookie` reads
   * the request's cookies, `session` is the provider session (its account and `uid`, which the
   * host may record to end it later). When it answers false (the host session ended or belongs to
   * someone else), the provider asks for a login again (`prompt=none` gets `login_required`),
   * with the reason `host_session_ended`. An authorization asks as soon as it finds the provider
   * session, before it reads the account: a host that reads the account along with its own
   * session answers `{ account }` (the account as it is now), and the request uses that record
   * instead of reading the account again.
   */
  hostSession?: (
    cookie: (name: string) => string | undefined,
    session: { accountId: string; uid: string },
  ) => Promise<HostSessionAnswer<A>>;
  /**
   * The person confirmed an end-session request (RP-initiated logout at `/oidc/v1/logout-to-go`
   * or `/oidc/v1/userlogout`): the host ends its own sign-in of the browser too. Awaited before
   * the browser is sent on. `ended` tells what the provider session had signed in to and where
   * the browser would go next (the client's registered `post_logout_redirect_uri` with its
   * `state`, or undefined for the provider's own page); an address returned sends the browser
   * there instead (the host's sign-out chain), and `setCookie` carries what it needs on the way.
   */
  hostSignOut?: (
    cookie: (name: string) => string | undefined,
    ended: EndedBySignOut,
    setCookie: (name: string, value: string, options: { path: string; maxAgeSeconds: number }) => void,
  ) => Promise<string | undefined>;
}

/**
 * The host's answer about its own sign-in of the browser: ended (`false`), standing (`true`), or
 * standing with the account it read along with it.
 */
export type HostSessionAnswer<A> = boolean | { account: A };

/** What a confirmed end-session request ended, for the host. */
export interface EndedBySignOut {
  /** The names of the clients the provider session had signed in to. */
  clients: string[];
  /** The client that asked, if one did. */
  client: { id: string; name: string } | undefined;
  /** The registered post-logout redirect URI (with `state`) the client asked for, if any. */
  postLogoutRedirect: string | undefined;
}

const LOOPBACK = /^(localhost|127(?:\.\d+){3}|\[::1\])$/;

/** The login prompt's reason when the host's own sign-in of the browser ended. */
export const HOST_SESSION_ENDED = 'host_session_ended';

/** Submits the logout form of a request that a relying party of the same session started. */
const AUTO_LOGOUT_SCRIPT = "document.getElementById('op-logout-yes').click();";

export interface OidcTtl {
  accessToken: number;
  authorizationCode: number;
  idToken: number;
  refreshToken: number;
  session: number;
  interaction: number;
  grant: number;
  /** How long a retired signing key stays published. */
  keyRetention: number;
}

const DEFAULT_TTL: OidcTtl = {
  accessToken: 3600,
  authorizationCode: 60,
  idToken: 3600,
  refreshToken: 14 * 86400,
  session: 8 * 3600,
  interaction: 3600,
  grant: 14 * 86400,
  keyRetention: 7 * 86400,
};

const REDIRECT_RULE = 'https, or http on 127.0.0.1, localhost or [::1]; no wildcard, no fragment';

/** Artifacts whose use reads their grant next (the adapter reads it along with them). */
const GRANT_ARTIFACTS = new Set(['AccessToken', 'RefreshToken', 'AuthorizationCode']);
/**
 * Redis artifacts each node keeps copies of (see ArtifactCopies): access tokens and sessions, read
 * on every userinfo and resource call and on every authorization, far more often than written; and
 * codes, read once, at their exchange, by the node that wrote them if it serves the exchange. Every
 * node announces their changes, whether it keeps copies or not.
 */
const COPIED_MODELS = new Set(['AccessToken', 'Session', 'AuthorizationCode']);
/** Of those, the artifacts a node keeps as it writes them: codes, for their exchange (see `keepWritten`). */
const KEPT_AS_WRITTEN = new Set(['AuthorizationCode']);

/**
 * A sign-in session that an authorization saves unchanged is rewritten (its expiry slid) at most
 * this often: it may end up to this much earlier than the session TTL after its last use.
 */
const SESSION_REWRITE_SECONDS = 300;

/** How often a node compares the issuer's change counter (clients, keys changed elsewhere). */
const SYNC_MS = 2000;

/** The protocol errors a person meets most, told in words (others name the error in a sentence). */
const OIDC_ERROR_REASONS: Record<string, string> = {
  invalid_redirect_uri: 'oidc.error.redirect_uri',
  invalid_client: 'oidc.error.client',
};

/** What an account is asked about in the request `ctx` (outside a protocol request: tokens). */
function useOf(ctx: KoaContextWithOIDC | undefined): AccountUse {
  const route = ctx?.oidc?.route;
  return route === 'authorization' || route === 'resume' ? 'interaction' : 'token';
}

/** How often it compares the published key set anyway (a retired key's retention passing). */
const KEY_CHECK_MS = 60_000;

/**
 * One OpenID Connect issuer: oidc-provider configured for the SPEC §4 contract over the role
 * database (and Redis), with its client registry, signing keys and remembered consents.
 * See index.ts for how a role mounts it.
 */
export class OidcProvider<A = unknown> {
  readonly options: OidcProviderOptions<unknown, A>;
  readonly tenant: string;
  readonly issuer: string;
  /** The issuer's path (`/cyc`), or '' for an issuer at the root of its host. */
  readonly mountPath: string;
  readonly routePrefix: string;
  readonly ttl: OidcTtl;
  readonly clients: ClientRegistry;
  readonly keys: SigningKeyStore;
  readonly consents: ConsentStore;
  /** The issuer's change counter (clients and keys), compared by `sync()`. */
  readonly versions: ChangeVersion;
  readonly scopes: string[];
  readonly db: Kysely<OidcTables>;
  #provider!: Provider;
  #grantStore: DatabaseAdapter | undefined;
  #callback!: ReturnType<Provider['callback']>;
  #keyFingerprint = '';
  #keysCheckedAt = 0;
  #version = 0;
  #syncedAt = 0;
  #syncing: Promise<void> | undefined;
  /** This node's copies of access tokens and sessions on Redis (see ArtifactCopies). */
  readonly #copies: ArtifactCopies;
  /** The accounts this issuer's host port read for the current request (`use:id` → record). */
  readonly #accounts = new ScopeSlot('oidc accounts', () => new Map<string, Promise<unknown>>());
  /** The host session checks of the request, by provider session (`accountId uid`). */
  readonly #hostChecks = new ScopeSlot('oidc host sessions', () => new Map<string, Promise<unknown>>());

  private constructor(options: OidcProviderOptions<unknown, A>) {
    this.options = options;
    this.tenant = options.tenant;
    this.issuer = options.issuer.replace(/\/$/, '');
    this.mountPath = new URL(this.issuer).pathname.replace(/\/$/, '');
    this.routePrefix = (options.routePrefix ?? this.mountPath).replace(/\/$/, '');
    this.ttl = { ...DEFAULT_TTL, ...options.ttl };
    this.db = oidcView(options.db);
    const box = (purpose: string) =>
      new SecretBox(options.installationSecret, `${purpose}/${options.tenant}`);
    this.scopes = [...new Set(['openid', ...Object.keys(options.scopes)])];
    this.versions = new ChangeVersion(this.db, options.tenant);
    this.clients = new ClientRegistry(
      this.db,
      options.tenant,
      box('client-secret'),
      this.scopes,
      this.versions,
    );
    this.keys = new SigningKeyStore(
      this.db,
      options.tenant,
      box('signing-key'),
      this.ttl.keyRetention,
      this.versions,
    );
    this.consents = new ConsentStore(this.db, options.tenant);
    this.#copies = new ArtifactCopies(`edugate:oidc:${options.tenant}:changes`);
  }

  /** Creates the issuer: makes sure it has a signing key and builds the provider. */
  static async create<DB, A>(options: OidcProviderOptions<DB, A>): Promise<OidcProvider<A>> {
    const oidc = new OidcProvider<A>(options as unknown as OidcProviderOptions<unknown, A>);
    await oidc.keys.ensure();
    if (options.notifications) {
      const channel = await changeChannel(oidc.db as Kysely<unknown>, 'oidc_grants');
      await oidc
        .#grants()
        .follow(options.notifications, channel, (error, message) =>
          options.log.warn({ err: error }, message),
        );
    }
    if (options.redis && options.redisNotifications) {
      await oidc.#copies.follow(options.redisNotifications, oidc.#copies.channel, (error, message) =>
        options.log.warn({ err: error }, message),
      );
    }
    oidc.#version = await oidc.versions.current();
    oidc.#syncedAt = Date.now();
    await oidc.reload();
    return oidc;
  }

  /** The oidc-provider instance currently serving (it is rebuilt when the signing keys change). */
  get provider(): Provider {
    return this.#provider;
  }

  /** The Node request handler of oidc-provider (a Koa app). */
  get callback(): ReturnType<Provider['callback']> {
    return this.#callback;
  }

  /** Rebuilds the provider with the keys now in the database. */
  async reload(): Promise<void> {
    const jwks = await this.keys.privateJwks();
    this.#keyFingerprint = await this.keys.fingerprint();
    this.#keysCheckedAt = Date.now();
    const provider = new Provider(this.issuer, this.#configuration(jwks));
    // The host and scheme of every URL oidc-provider builds (discovery, redirects, the endpoints it
    // names) are the issuer's: `mountProtocol` sets them on each request as forwarded headers,
    // whatever Host the request came with (and drops the client's X-Forwarded-For unless trusted).
    provider.proxy = true;
    provider.on('server_error', (_ctx, error) => this.options.log.error({ err: error }, 'oidc server error'));
    // `temporarily_unavailable` (a dependency is down, see unavailable.ts) tells when to retry.
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.status === 503) ctx.set('retry-after', String(DEPENDENCY_RETRY_AFTER_SECONDS));
    });
    const hostSignOut = this.options.hostSignOut;
    if (hostSignOut) {
      provider.use(async (ctx, next) => {
        await next();
        const oidc = (ctx as KoaContextWithOIDC).oidc;
        if (oidc?.route !== 'end_session_confirm' || ctx.status !== 303 || !oidc.params?.logout) return;
        const clients = await Promise.all(
          Object.keys(oidc.session?.authorizations ?? {}).map(
            async (id) => (await this.clients.nameOf(id).catch(() => undefined)) ?? id,
          ),
        );
        const location = ctx.response.get('location');
        const own = oidc.urlFor('end_session_success');
        const ended: EndedBySignOut = {
          clients,
          client: oidc.client
            ? { id: oidc.client.clientId, name: oidc.client.clientName ?? oidc.client.clientId }
            : undefined,
          postLogoutRedirect: location && !location.startsWith(own) ? location : undefined,
        };
        const setCookie = (name: string, value: string, options: { path: string; maxAgeSeconds: number }) =>
          ctx.cookies.set(name, value, {
            path: options.path,
            maxAge: options.maxAgeSeconds * 1000,
            httpOnly: true,
            sameSite: 'lax',
            secure: ctx.secure,
            signed: false,
            overwrite: true,
          });
        const onward = await hostSignOut(
          (name) => ctx.cookies.get(name, { signed: false }),
          ended,
          setCookie,
        ).catch((error: unknown) => {
          this.options.log.warn({ err: error }, 'host sign-out after end session failed');
          return undefined;
        });
        if (onward) {
          ctx.status = 303;
          ctx.redirect(onward);
        }
      });
    }
    if (this.options.jobs) {
      retryLogoutsThroughJobs({
        provider,
        current: () => this.#provider,
        tenant: this.tenant,
        db: this.options.db,
        jobs: this.options.jobs,
        log: this.options.log,
      });
    }
    this.options.onProvider?.(provider);
    this.#provider = provider;
    this.#callback = provider.callback();
  }

  /**
   * Picks up what another node changed: compares the issuer's change counter at most every
   * 2 seconds (then forgets the clients kept in memory and reloads the keys if the published set
   * differs), and the published key set at least once a minute. Called before each protocol
   * request and resource API call; only a request that finds the check due waits for it.
   */
  async sync(): Promise<void> {
    if (Date.now() - this.#syncedAt < SYNC_MS) return;
    this.#syncing ??= this.#sync().finally(() => {
      this.#syncing = undefined;
    });
    await this.#syncing;
  }

  async #sync(): Promise<void> {
    this.#syncedAt = Date.now();
    const version = await this.versions.current();
    const changed = version !== this.#version;
    if (changed) {
      this.#version = version;
      this.clients.invalidate();
    }
    if (changed || Date.now() - this.#keysCheckedAt >= KEY_CHECK_MS) {
      this.#keysCheckedAt = Date.now();
      if ((await this.keys.fingerprint()) !== this.#keyFingerprint) await this.reload();
    }
  }

  /** Adds a new signing key (it signs from now on; the old one stays published) and reloads. */
  async rotateKeys() {
    const key = await this.keys.rotate();
    await this.reload();
    return key;
  }

  /** Periodic upkeep: drops expired artifacts and keys past their retention. */
  async maintain(): Promise<void> {
    await sweepExpiredPayloads(this.db);
    if ((await this.keys.prune()) > 0) await this.reload();
  }

  /** The consent line of a scope in a language (the scope name when none is configured). */
  consentLine(scope: string, locale: 'zh-TW' | 'en'): string {
    return this.options.consentLines[scope]?.[locale] ?? scope;
  }

  /**
   * The record of `accountId` for the current request, read through the host port once per
   * request (`prefetch`) and shared by every step that asks: the provider's own account lookups,
   * the host prompts and resource API handlers. Outside a request it is read afresh.
   */
  account(accountId: string, use: AccountUse): Promise<A | undefined> {
    const read = currentScope()?.get(this.#accounts);
    const key = `${use}:${accountId}`;
    const known = read?.get(key) as Promise<A | undefined> | undefined;
    if (known) return known;
    const pending = this.options.accounts.prefetch(accountId, use);
    if (read) {
      read.set(key, pending);
      // A failed read is not remembered (a later step reads again, and reports the failure).
      pending.catch(() => read.delete(key));
    }
    return pending;
  }

  /** Starts reading the account an artifact names, for the steps of the request that follow. */
  #prefetchAccount(payload: AdapterPayload): void {
    if (typeof payload.accountId !== 'string') return;
    this.account(payload.accountId, useOf(Provider.ctx)).catch(() => undefined);
  }

  /**
   * A provider session found by an authorization: asks the host about its own session at once and
   * takes the account from its answer when it brings one (one read for both); otherwise reads the
   * account as for any artifact.
   */
  #sessionFound(payload: AdapterPayload): void {
    const ctx = Provider.ctx;
    const { accountId, uid } = payload;
    const read = currentScope()?.get(this.#accounts);
    if (
      !this.options.hostSession ||
      !ctx ||
      !read ||
      useOf(ctx) !== 'interaction' ||
      typeof accountId !== 'string' ||
      typeof uid !== 'string'
    ) {
      this.#prefetchAccount(payload);
      return;
    }
    const key = `interaction:${accountId}`;
    if (read.has(key)) return;
    const pending = this.#hostSession(ctx, { accountId, uid }).then((answer) =>
      typeof answer === 'object' ? answer.account : this.options.accounts.prefetch(accountId, 'interaction'),
    );
    read.set(key, pending);
    pending.catch(() => read.delete(key));
  }

  /**
   * The host's answer about its session of the browser, asked once per request and provider
   * session (a failed ask is not remembered: a later step asks again and reports the failure).
   */
  #hostSession(
    ctx: KoaContextWithOIDC,
    session: { accountId: string; uid: string },
  ): Promise<HostSessionAnswer<A>> {
    const host = this.options.hostSession;
    if (!host) return Promise.resolve(true);
    const ask = () => host((name) => ctx.cookies.get(name, { signed: false }), session);
    const asked = currentScope()?.get(this.#hostChecks);
    if (!asked) return ask();
    const key = `${session.accountId} ${session.uid}`;
    const known = asked.get(key) as Promise<HostSessionAnswer<A>> | undefined;
    if (known) return known;
    const pending = ask();
    asked.set(key, pending);
    pending.catch(() => asked.delete(key));
    return pending;
  }

  #adapter(model: string): Adapter {
    if (model === 'Client') return this.clients.adapter();
    const redis = this.options.redis;
    const inDatabase = (name: string) => !redis || DURABLE_MODELS.has(name);
    // A code or token is followed in the same request by its grant, its session (when the token
    // ends with it) and its account; a sign-in session by its account and the grants it names
    // (the authorization reads the client's next). Each is read as soon as the artifact is found.
    const onFound = GRANT_ARTIFACTS.has(model)
      ? (payload: AdapterPayload) => {
          this.#prefetchAccount(payload);
          if (typeof payload.grantId === 'string' && inDatabase('Grant'))
            this.#grants().readAhead(payload.grantId);
        }
      : model === 'Session'
        ? (payload: AdapterPayload) => {
            this.#sessionFound(payload);
            if (redis) this.#readSessionGrantsAhead(payload);
          }
        : undefined;
    if (!inDatabase(model)) {
      // A code or token on Redis brings its sign-in session along (one round trip).
      return new RedisAdapter(redis as Redis, `edugate:oidc:${this.tenant}:`, model, {
        ...(GRANT_ARTIFACTS.has(model) ? { withSession: true } : {}),
        ...(model === 'Session' ? { rewriteAfter: SESSION_REWRITE_SECONDS } : {}),
        ...(COPIED_MODELS.has(model) ? { copies: this.#copies } : {}),
        ...(KEPT_AS_WRITTEN.has(model) ? { keepWritten: true } : {}),
        ...(onFound ? { onFound } : {}),
      });
    }
    if (model === 'Grant') return this.#grants();
    // In the database, a code or token is read in one statement with its grant and session; a
    // session with the grants it names.
    const companions = GRANT_ARTIFACTS.has(model)
      ? { grant: inDatabase('Grant'), session: inDatabase('Session') }
      : model === 'Session'
        ? { grant: false, session: false, grants: inDatabase('Grant') }
        : undefined;
    return new DatabaseAdapter(this.db, this.tenant, model, {
      asyncCommit: this.options.dbKind === 'postgres',
      ...(companions ? { companions } : {}),
      ...(onFound && companions
        ? {
            onFound: (payload: AdapterPayload) =>
              model === 'Session' ? this.#sessionFound(payload) : this.#prefetchAccount(payload),
          }
        : {}),
      ...(model === 'Session' ? { rewriteAfter: SESSION_REWRITE_SECONDS } : {}),
    });
  }

  /** Grants: kept in memory while nothing changes them, when changes are announced (`notifications`). */
  #grants(): DatabaseAdapter {
    this.#grantStore ??= new DatabaseAdapter(this.db, this.tenant, 'Grant', {
      keep: this.options.notifications !== undefined,
    });
    return this.#grantStore;
  }

  /** Stops following grant changes (call when the role closes). */
  async close(): Promise<void> {
    await this.#grantStore?.close();
    await this.#copies.close();
  }

  /** A sign-in session on Redis names its grants: read them (one statement) as soon as it is found. */
  #readSessionGrantsAhead(payload: AdapterPayload): void {
    for (const { grantId } of Object.values(payload.authorizations ?? {})) {
      if (typeof grantId === 'string') this.#grants().readAhead(grantId);
    }
  }

  #cookieKeys(): CookieKeys {
    const key = createHmac('sha256', this.options.installationSecret)
      .update(`edugate/oidc/cookies/${this.tenant}`)
      .digest('base64url');
    return new CookieKeys([key]);
  }

  #configuration(jwks: Array<Record<string, unknown>>): Configuration {
    const { options, ttl } = this;
    const claims: Record<string, string[]> = { ...options.scopes };
    claims.openid = [...new Set(['sub', ...(claims.openid ?? [])])];
    const cookiePath = this.mountPath || '/';
    const cookieBase = { httpOnly: true, sameSite: 'lax' as const, secure: options.secureCookies };
    const cookieName = `edugate_oidc_${this.tenant}`;
    return {
      // Every store call and host hook below reports a dependency failure as `temporarily_unavailable`.
      adapter: (model: string) => {
        const store = new GuardedAdapter(this.#adapter(model));
        return SINGLE_USE_MODELS.has(model)
          ? revokingOnReplay(store, (grantId) => revokeGrant(this, grantId))
          : store;
      },
      claims,
      scopes: [...this.scopes, 'offline_access'],
      clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
      clientDefaults: {
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        id_token_signed_response_alg: 'RS256',
        token_endpoint_auth_method: 'client_secret_basic',
      },
      // Every client's metadata passes here: registered clients are held to the console's rules.
      extraClientMetadata: {
        properties: ['scope'],
        validator: (ctx, key, value, metadata) => this.#checkClientMetadata(ctx, key, value, metadata),
      },
      responseTypes: ['code'],
      // Deployed clients read profile claims from the ID token as well as from userinfo.
      conformIdTokenClaims: false,
      cookies: {
        names: { session: cookieName, interaction: `${cookieName}_i`, resume: `${cookieName}_r` },
        long: { ...cookieBase, path: cookiePath },
        short: { ...cookieBase, path: cookiePath },
        keys: this.#cookieKeys(),
      },
      jwks: { keys: jwks as never },
      discovery: { claims_locales_supported: ['zh-TW', 'en'], ui_locales_supported: ['zh-TW', 'en'] },
      features: {
        devInteractions: { enabled: false },
        pushedAuthorizationRequests: { enabled: false },
        resourceIndicators: { enabled: false },
        // A client may revoke only its own tokens (and learns nothing about others').
        revocation: {
          enabled: true,
          allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
        },
        userinfo: { enabled: true },
        registration: {
          enabled: Boolean(options.registrationToken),
          ...(options.registrationToken ? { initialAccessToken: options.registrationToken } : {}),
          idFactory: () => randomBytes(16).toString('hex'),
          secretFactory: async () => randomBytes(32).toString('base64url'),
          issueRegistrationAccessToken: false,
        },
        // Relying parties that register a `backchannel_logout_uri` get a logout token when a
        // sign-in session ends (here and through `logout.ts`).
        backchannelLogout: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: async (ctx, form) => this.#logoutPage(ctx, form),
          postLogoutSuccessSource: async (ctx) => this.#logoutDonePage(ctx),
        },
      },
      // oidc-provider refuses to call special-use addresses (SSRF protection) for back-channel
      // logout and the like; loopback URLs (the demo, tests: every role on one machine) are let through.
      fetch: (url, init) => {
        const target = new URL(url instanceof Request ? url.url : url);
        if (LOOPBACK.test(target.hostname)) {
          const { dispatcher: _protected, ...rest } = init as RequestInit & { dispatcher?: unknown };
          return fetch(url, rest);
        }
        return fetch(url, init);
      },
      findAccount: async (ctx, sub) => {
        // oidc-provider may ask several times in one request; the host port is asked once per
        // request (its record is kept in the request scope, never across requests).
        const use = useOf(ctx);
        const record = await protocolCall(() => this.account(sub, use));
        const account = record === undefined ? undefined : options.accounts.findAccount(record, use);
        if (!account) return undefined;
        return {
          accountId: account.accountId,
          claims: async (claimsUse, scope, claims, rejected) => ({
            ...(await protocolCall(() =>
              account.claims(claimsUse, scope, claims as RequestedClaims, rejected),
            )),
            sub: account.accountId,
          }),
        } as Account;
      },
      interactions: {
        policy: this.#policy(),
        url: async (_ctx, interaction) => `${this.mountPath}${INTERACTION_PATH}/${interaction.uid}`,
      },
      loadExistingGrant: async (ctx) => protocolCall(() => this.#loadExistingGrant(ctx)),
      // Refresh tokens for every client allowed the grant type, as the deployed providers do (no
      // offline_access needed). Without offline_access they end with the sign-in session, and
      // logout revokes them; with it (and prompt=consent) they outlive the session.
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
      renderError: async (ctx, out) => this.#errorPage(ctx, out),
      routes: OIDC_ROUTES,
      ttl: {
        AccessToken: ttl.accessToken,
        AuthorizationCode: ttl.authorizationCode,
        IdToken: ttl.idToken,
        RefreshToken: ttl.refreshToken,
        Session: ttl.session,
        Interaction: ttl.interaction,
        Grant: ttl.grant,
      },
    };
  }

  /**
   * Client metadata as oidc-provider reads it, stored or being registered. A client without a
   * `scope` list (registered before it was required) gets the scopes that are not restricted.
   * At registration: redirect URIs follow the console's rule (`redirectUriProblem`), and a
   * restricted scope is refused — an administrator grants it in the console or the CLI.
   */
  #checkClientMetadata(
    ctx: KoaContextWithOIDC | undefined,
    key: string,
    value: unknown,
    metadata: ClientMetadata,
  ) {
    if (key !== 'scope') return;
    const restricted = new Set(this.options.restrictedScopes ?? []);
    if (value === undefined) {
      metadata.scope = this.scopes.filter((scope) => !restricted.has(scope)).join(' ');
    }
    if (ctx?.oidc?.route !== 'registration') return;
    const asked = typeof value === 'string' ? value.split(' ') : [];
    const refused = asked.filter((scope) => restricted.has(scope));
    if (refused.length > 0) {
      throw new errors.InvalidClientMetadata(
        `scope ${refused.join(' ')} is granted by an administrator only, not by registration`,
      );
    }
    const uris = (name: 'redirect_uris' | 'post_logout_redirect_uris' | 'backchannel_logout_uri') => {
      const list = metadata[name];
      if (typeof list === 'string') return [list];
      return Array.isArray(list) ? list.filter((uri): uri is string => typeof uri === 'string') : [];
    };
    for (const name of ['redirect_uris', 'post_logout_redirect_uris', 'backchannel_logout_uri'] as const) {
      for (const uri of uris(name)) {
        const problem = redirectUriProblem(uri);
        if (problem)
          throw new errors.InvalidClientMetadata(`${name} ${uri} refused (${problem}): ${REDIRECT_RULE}`);
      }
    }
  }

  #policy() {
    const policy = interactionPolicy.base();
    const host = this.options.hostSession;
    if (host) {
      policy.get('login')?.checks.push(
        new interactionPolicy.Check(
          HOST_SESSION_ENDED,
          'the sign-in at the host site ended',
          'login_required',
          async (ctx) => {
            const session = ctx.oidc.session;
            if (!session?.accountId) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
            const alive = await this.#hostSession(ctx, { accountId: session.accountId, uid: session.uid });
            return alive ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
          },
        ),
      );
    }
    const consentAt = policy.findIndex((prompt) => prompt.name === 'consent');
    for (const [offset, custom] of (this.options.prompts ?? []).entries()) {
      const found = new WeakMap<object, Record<string, unknown>>();
      const check = new interactionPolicy.Check(
        `${custom.name}_required`,
        `${custom.name} must be resolved`,
        'interaction_required',
        async (ctx) => {
          const accountId = ctx.oidc.session?.accountId;
          if (!accountId) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
          const details = await protocolCall(async () =>
            custom.check({
              accountId,
              account: await this.account(accountId, useOf(ctx)),
              clientId: ctx.oidc.client?.clientId ?? '',
              scopes: (ctx.oidc.params?.scope as string | undefined)?.split(' ') ?? [],
            }),
          );
          if (!details) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
          found.set(ctx, details);
          return interactionPolicy.Check.REQUEST_PROMPT;
        },
        (ctx) => found.get(ctx),
      );
      policy.add(
        new interactionPolicy.Prompt({ name: custom.name, requestable: false }, check),
        consentAt + offset,
      );
    }
    return policy;
  }

  async #loadExistingGrant(ctx: KoaContextWithOIDC) {
    const { oidc } = ctx;
    const clientId = oidc.client?.clientId;
    const session = oidc.session;
    const accountId = session?.accountId;
    if (!session || !clientId || !accountId) return undefined;
    const result = oidc.result as { consent?: { grantId?: string } } | undefined;
    const grantId = result?.consent?.grantId ?? session.grantIdFor(clientId);
    let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
    if (grant && (grant.accountId !== accountId || grant.clientId !== clientId)) grant = undefined;
    if (grant) {
      // The grant already covers every scope asked for: the remembered consent adds nothing.
      const covered = new Set((grant.getOIDCScope() ?? '').split(' '));
      if ([...oidc.requestParamOIDCScopes].every((scope) => covered.has(scope))) return grant;
    }
    const remembered = await this.consents.scopes(accountId, clientId);
    if (!grant && remembered.length === 0) return undefined;
    grant ??= new oidc.provider.Grant({ accountId, clientId });
    const granted = new Set((grant.getOIDCScope() ?? '').split(' ').filter(Boolean));
    const missing = remembered.filter((scope) => !granted.has(scope));
    if (missing.length > 0) {
      grant.addOIDCScope(missing.join(' '));
      await grant.save();
    }
    return grant;
  }

  async #errorPage(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }) {
    const t = koaTranslator(ctx, this.options.i18n);
    const sessionLost =
      out.error === 'invalid_request' && /interaction|session/i.test(out.error_description ?? '');
    // What the person can do, in their language; the protocol's own English words are details
    // for the application's administrator, marked as English.
    const known = OIDC_ERROR_REASONS[out.error];
    const reason = sessionLost
      ? t('oidc.error.session')
      : known
        ? t(known)
        : t('oidc.error.detail', { error: out.error });
    this.#sendPage(
      ctx,
      t('oidc.error.title'),
      html`<div class="alert" role="alert"><p>${reason}</p></div>
<p class="meta">${t('oidc.error.technical')} <span lang="en" translate="no"><code>${out.error}</code>${out.error_description ? html` · ${out.error_description}` : ''}</span></p>`,
    );
  }

  async #logoutPage(ctx: KoaContextWithOIDC, form: string) {
    const t = koaTranslator(ctx, this.options.i18n);
    const { nameKey, name } = this.options.brand;
    const site = nameKey ? t(nameKey) : name;
    // oidc-provider gives the form (action and its one-time xsrf value); the buttons submit it.
    const action = /action="([^"]+)"/.exec(form)?.[1] ?? '';
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1] ?? '';
    // A relying party of this very sign-in asks (its ID token names the session's account): the
    // person chose to sign out there, so the form goes at once (the page stays for browsers
    // without scripts). Anyone else's request still needs the person's click.
    const hint = ctx.oidc.entities.IdTokenHint as { payload?: { sub?: unknown } } | undefined;
    const automatic =
      ctx.oidc.client !== undefined &&
      hint?.payload?.sub !== undefined &&
      hint.payload.sub === ctx.oidc.session?.accountId;
    if (automatic) allowInlineScript(ctx, AUTO_LOGOUT_SCRIPT);
    this.#sendPage(
      ctx,
      t('oidc.logout.title'),
      html`<form method="post" action="${action}" class="panel">
<input type="hidden" name="xsrf" value="${xsrf}">
<p>${t('oidc.logout.question', { site })}</p>
<p><button type="submit" name="logout" value="yes" id="op-logout-yes" autofocus>${t('oidc.logout.yes')}</button>
<button type="submit" class="secondary">${t('oidc.logout.no')}</button></p>
</form>${automatic ? html`<script>${new SafeHtml(AUTO_LOGOUT_SCRIPT)}</script>` : ''}`,
    );
  }

  async #logoutDonePage(ctx: KoaContextWithOIDC) {
    const t = koaTranslator(ctx, this.options.i18n);
    const client = ctx.oidc.client?.clientName;
    this.#sendPage(
      ctx,
      t('oidc.logout.title'),
      html`<div class="success" role="status"><p>${client ? t('oidc.logout.done', { client }) : t('oidc.logout.done_plain')}</p></div>
<p><a href="${this.options.brand.href}">${t('layout.home')}</a></p>`,
    );
  }

  /** One of the provider's own pages (an error, a sign-out question or its end), titled by its heading. */
  #sendPage(ctx: KoaContextWithOIDC, title: string, main: SafeHtml) {
    ctx.type = 'html';
    ctx.body = koaPage(
      ctx,
      this.options.i18n,
      this.options.brand,
      title,
      html`<h1>${title}</h1>
${main}`,
    );
  }
}

/** Adds the hash of one inline script to the answer's `script-src` (as oidc-provider's own form posts do). */
function allowInlineScript(ctx: KoaContextWithOIDC, script: string): void {
  const csp = ctx.response.get('content-security-policy');
  if (!csp) return;
  const digest = createHash('sha256').update(script).digest('base64');
  ctx.set(
    'content-security-policy',
    csp.replace(
      /(^|;)\s*script-src([^;]*)/,
      (_all, start: string, values: string) => `${start}script-src${values} 'sha256-${digest}'`,
    ),
  );
}
