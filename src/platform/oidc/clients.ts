import { hash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { deepFreeze } from '../database/frozen-values.ts';
import { AppError } from '../errors/app-error.ts';
import { redirectUriProblem } from './redirect-uris.ts';
import type { OidcTables } from './schema.ts';
import type { SecretBox } from './secret-box.ts';
import type { ChangeVersion } from './versions.ts';

export interface ClientInput {
  name: string;
  /** Exact redirect URIs (no wildcards, no fragment). */
  redirectUris: string[];
  postLogoutRedirectUris?: string[] | undefined;
  /**
   * Where the provider posts a logout token (OpenID Connect Back-Channel Logout 1.0) when a
   * sign-in session of the client ends; the token then always carries the session's `sid`.
   */
  backchannelLogoutUri?: string | undefined;
  /** Scopes the client may request; anything else is refused with `invalid_scope`. */
  scopes: string[];
  /** A public client (no secret; PKCE required). */
  public?: boolean | undefined;
  /** Fixed id (demo seeds, migrations from another system); random when absent. */
  clientId?: string | undefined;
  /** Fixed secret (demo seeds); random when absent. */
  clientSecret?: string | undefined;
}

export interface ClientRecord {
  clientId: string;
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | undefined;
  scopes: string[];
  public: boolean;
  source: 'admin' | 'registration' | 'seed';
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface IssuedClient {
  client_id: string;
  /** Shown once: only the encrypted form is kept. Absent for public clients. */
  client_secret?: string;
}

const CLIENT_ID = /^[A-Za-z0-9._~-]{3,128}$/;
const newClientId = () => randomBytes(16).toString('hex');
const newSecret = () => randomBytes(32).toString('base64url');
/**
 * How long the provider keeps a client in memory at most. Changes reach every node sooner through
 * the change counter (`OidcProvider.sync`); this only bounds a change made outside EduGate.
 */
const CACHE_MS = 5 * 60_000;
const CACHE_ENTRIES = 1000;

const FINGERPRINT = Symbol('fingerprint');

/**
 * A client's metadata as the provider's adapter hands it out: one deeply frozen object per cached
 * client, shared by every find (oidc-provider copies what it keeps when it builds a client, and
 * changes only its copies; a change of this object would throw). oidc-provider finds the client
 * it built by the metadata's JSON on every find (each token's use): that JSON is a digest of the
 * content, computed once. Neither the method nor the symbol is a property oidc-provider reads as
 * metadata.
 */
class ProviderMetadata {
  [key: string]: unknown;
  readonly [FINGERPRINT]: string;

  constructor(metadata: Record<string, unknown>) {
    this[FINGERPRINT] = hash('sha256', JSON.stringify(metadata), 'base64url');
    Object.assign(this, structuredClone(metadata));
    deepFreeze(this);
  }

  toJSON(): string {
    return this[FINGERPRINT];
  }
}

/** A client as the provider serves it: its name, and the decrypted metadata (undefined when disabled). */
interface CachedClient {
  at: number;
  name: string;
  metadata: ProviderMetadata | undefined;
}

function checkRedirectUri(uri: string, source: ClientRecord['source']): void {
  // The demo's seeded clients follow the operator's configured URLs (plain http on a LAN demo).
  if (redirectUriProblem(uri, { allowHttp: source === 'seed' })) {
    throw new AppError('oidc_redirect_uri_invalid', 400, { uri });
  }
}

/**
 * The relying parties of one issuer: registered by administrators (console, CLI), by Dynamic
 * Client Registration, or by a demo seed. Redirect URIs match exactly; the secret is returned
 * once and stored encrypted (oidc-provider compares it in constant time).
 *
 * The provider's view of each client (metadata with the decrypted secret) is kept in memory:
 * every change made here forgets it on this node and moves the issuer's change counter, which
 * the other nodes compare every few seconds (`invalidate()` is then called).
 */
export class ClientRegistry {
  readonly #db: Kysely<OidcTables>;
  readonly #tenant: string;
  readonly #box: SecretBox;
  readonly #supportedScopes: Set<string>;
  readonly #versions: ChangeVersion | undefined;
  readonly #cache = new Map<string, CachedClient>();
  /** Moves on every invalidation, so a read that started before one is not cached after it. */
  #generation = 0;

  constructor(
    db: Kysely<OidcTables>,
    tenant: string,
    box: SecretBox,
    supportedScopes: Iterable<string>,
    versions?: ChangeVersion,
  ) {
    this.#db = db;
    this.#tenant = tenant;
    this.#box = box;
    this.#supportedScopes = new Set(supportedScopes);
    this.#versions = versions;
  }

  /** Forgets every client kept in memory (another node changed one). */
  invalidate(): void {
    this.#generation++;
    this.#cache.clear();
  }

  /** After a change: forget it here, and tell the other nodes. */
  async #changed(clientId: string): Promise<void> {
    this.#generation++;
    this.#cache.delete(clientId);
    await this.#versions?.bump();
  }

  get supportedScopes(): string[] {
    return [...this.#supportedScopes];
  }

  #checkScopes(scopes: string[]): string[] {
    const unique = [...new Set(scopes.flatMap((s) => s.split(/\s+/)).filter(Boolean))];
    for (const scope of unique) {
      if (!this.#supportedScopes.has(scope)) throw new AppError('oidc_scope_unknown', 400, { scope });
    }
    if (!unique.includes('openid')) unique.unshift('openid');
    return unique;
  }

  async add(input: ClientInput, source: ClientRecord['source'] = 'admin'): Promise<IssuedClient> {
    const clientId = input.clientId ?? newClientId();
    if (!CLIENT_ID.test(clientId)) throw new AppError('oidc_client_id_invalid', 400);
    if (!input.name.trim()) throw new AppError('oidc_client_name_required', 400);
    if (input.redirectUris.length === 0) throw new AppError('oidc_redirect_uri_required', 400);
    for (const uri of [...input.redirectUris, ...(input.postLogoutRedirectUris ?? [])]) {
      checkRedirectUri(uri, source);
    }
    if (input.backchannelLogoutUri) checkRedirectUri(input.backchannelLogoutUri, source);
    const scopes = this.#checkScopes(input.scopes);
    const secret = input.public ? undefined : (input.clientSecret ?? newSecret());
    const metadata = {
      client_name: input.name.trim(),
      redirect_uris: [...new Set(input.redirectUris)],
      post_logout_redirect_uris: [...new Set(input.postLogoutRedirectUris ?? [])],
      scope: scopes.join(' '),
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: input.public ? 'none' : 'client_secret_basic',
      ...backchannelMetadata(input.backchannelLogoutUri),
    };
    const inserted = await this.#db
      .insertInto('oidc_clients')
      .values({
        tenant: this.#tenant,
        client_id: clientId,
        name: metadata.client_name,
        metadata: JSON.stringify(metadata),
        secret_ciphertext: secret ? this.#box.seal(secret) : null,
        source,
        disabled: false,
        created_at: new Date(),
        updated_at: new Date(),
      })
      .onConflict((oc) => oc.columns(['tenant', 'client_id']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) throw new AppError('oidc_client_exists', 409);
    await this.#changed(clientId);
    return secret ? { client_id: clientId, client_secret: secret } : { client_id: clientId };
  }

  /** Creates the client, or brings an existing one to exactly this state (idempotent seeds). */
  async ensure(input: ClientInput & { clientId: string }): Promise<void> {
    const existing = await this.get(input.clientId);
    if (!existing) {
      await this.add(input, 'seed');
      return;
    }
    await this.update(input.clientId, input);
    if (input.clientSecret) await this.#setSecret(input.clientId, input.clientSecret);
  }

  async update(
    clientId: string,
    changes: Partial<
      Pick<
        ClientInput,
        'name' | 'redirectUris' | 'postLogoutRedirectUris' | 'backchannelLogoutUri' | 'scopes'
      >
    > & {
      disabled?: boolean;
    },
  ): Promise<ClientRecord> {
    const row = await this.#row(clientId);
    if (!row) throw new AppError('oidc_client_not_found', 404);
    const metadata = { ...row.metadata };
    if (changes.name !== undefined) metadata.client_name = changes.name.trim();
    if (changes.redirectUris !== undefined) {
      if (changes.redirectUris.length === 0) throw new AppError('oidc_redirect_uri_required', 400);
      for (const uri of changes.redirectUris) checkRedirectUri(uri, row.source);
      metadata.redirect_uris = [...new Set(changes.redirectUris)];
    }
    if (changes.postLogoutRedirectUris !== undefined) {
      for (const uri of changes.postLogoutRedirectUris) checkRedirectUri(uri, row.source);
      metadata.post_logout_redirect_uris = [...new Set(changes.postLogoutRedirectUris)];
    }
    if (changes.backchannelLogoutUri !== undefined) {
      if (changes.backchannelLogoutUri) checkRedirectUri(changes.backchannelLogoutUri, row.source);
      delete metadata.backchannel_logout_uri;
      delete metadata.backchannel_logout_session_required;
      Object.assign(metadata, backchannelMetadata(changes.backchannelLogoutUri));
    }
    if (changes.scopes !== undefined) metadata.scope = this.#checkScopes(changes.scopes).join(' ');
    await this.#db
      .updateTable('oidc_clients')
      .set({
        name: String(metadata.client_name ?? row.name),
        metadata: JSON.stringify(metadata),
        updated_at: new Date(),
        ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
      })
      .where('tenant', '=', this.#tenant)
      .where('client_id', '=', clientId)
      .execute();
    await this.#changed(clientId);
    const record = await this.get(clientId);
    if (!record) throw new AppError('oidc_client_not_found', 404);
    return record;
  }

  /** A new secret, shown once; the old one stops working immediately. */
  async rotateSecret(clientId: string): Promise<IssuedClient> {
    const row = await this.#row(clientId);
    if (!row) throw new AppError('oidc_client_not_found', 404);
    if (row.metadata.token_endpoint_auth_method === 'none') throw new AppError('oidc_client_public', 400);
    const secret = newSecret();
    await this.#setSecret(clientId, secret);
    return { client_id: clientId, client_secret: secret };
  }

  async #setSecret(clientId: string, secret: string): Promise<void> {
    await this.#db
      .updateTable('oidc_clients')
      .set({ secret_ciphertext: this.#box.seal(secret), updated_at: new Date() })
      .where('tenant', '=', this.#tenant)
      .where('client_id', '=', clientId)
      .execute();
    await this.#changed(clientId);
  }

  async remove(clientId: string): Promise<void> {
    await this.#db
      .deleteFrom('oidc_clients')
      .where('tenant', '=', this.#tenant)
      .where('client_id', '=', clientId)
      .execute();
    await this.#changed(clientId);
  }

  async get(clientId: string): Promise<ClientRecord | undefined> {
    const row = await this.#row(clientId);
    return row ? toRecord(row) : undefined;
  }

  async list(): Promise<ClientRecord[]> {
    const rows = await this.#db
      .selectFrom('oidc_clients')
      .selectAll()
      .where('tenant', '=', this.#tenant)
      .orderBy('created_at')
      .execute();
    return rows.map((row) => toRecord({ ...row, metadata: row.metadata as ClientMetadata }));
  }

  /**
   * The oidc-provider metadata of an enabled client, with its secret. A confidential client may
   * present its secret in the Authorization header or in the body (SPEC §4): oidc-provider
   * accepts either for `client_secret_basic` and `client_secret_post` alike.
   */
  async providerMetadata(clientId: string): Promise<AdapterPayload | undefined> {
    return (await this.#known(clientId))?.metadata as AdapterPayload | undefined;
  }

  /** Whether `clientId` names an enabled client (from memory when known): what a token's use checks. */
  async serves(clientId: string): Promise<boolean> {
    return (await this.#served(clientId)) !== undefined;
  }

  /**
   * The name a person is shown for `clientId` (sign-in, consent and sign-out pages), from memory
   * when known, as the provider's view of the client; undefined when no such client exists.
   */
  async nameOf(clientId: string): Promise<string | undefined> {
    return (await this.#known(clientId))?.name;
  }

  /** The metadata the provider serves for an enabled client, from memory when known. */
  async #served(clientId: string): Promise<Readonly<Record<string, unknown>> | undefined> {
    return (await this.#known(clientId))?.metadata;
  }

  /** The client as the provider serves it, from memory when known; undefined when none exists. */
  async #known(clientId: string): Promise<CachedClient | undefined> {
    const hit = this.#cache.get(clientId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit;
    const generation = this.#generation;
    const row = await this.#row(clientId);
    if (!row) return undefined;
    let metadata: ProviderMetadata | undefined;
    if (!row.disabled) {
      const plain: Record<string, unknown> = { ...row.metadata, client_id: clientId };
      if (row.secret_ciphertext) plain.client_secret = this.#box.open(row.secret_ciphertext);
      metadata = new ProviderMetadata(plain);
    }
    const known: CachedClient = { at: Date.now(), name: row.name, metadata };
    // A change seen while the row was read may be newer than the row: do not keep it then. Ids
    // that name no client are not kept either (made-up ids must not crowd the real ones out).
    if (generation === this.#generation) {
      if (this.#cache.size >= CACHE_ENTRIES) this.#cache.clear();
      this.#cache.set(clientId, known);
    }
    return known;
  }

  /** Stores a client created by Dynamic Client Registration (oidc-provider validated it). */
  async saveRegistered(clientId: string, payload: AdapterPayload): Promise<void> {
    const { client_secret: secret, client_id: _id, ...rest } = payload as Record<string, unknown>;
    const metadata = { ...rest };
    const name = typeof metadata.client_name === 'string' ? metadata.client_name : clientId;
    const values = {
      name,
      metadata: JSON.stringify(metadata),
      secret_ciphertext: typeof secret === 'string' ? this.#box.seal(secret) : null,
      updated_at: new Date(),
    };
    await this.#db
      .insertInto('oidc_clients')
      .values({
        tenant: this.#tenant,
        client_id: clientId,
        source: 'registration',
        disabled: false,
        created_at: new Date(),
        ...values,
      })
      .onConflict((oc) => oc.columns(['tenant', 'client_id']).doUpdateSet(values))
      .execute();
    await this.#changed(clientId);
  }

  async #row(clientId: string): Promise<ClientRow | undefined> {
    const row = await this.#db
      .selectFrom('oidc_clients')
      .selectAll()
      .where('tenant', '=', this.#tenant)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row ? { ...row, metadata: row.metadata as ClientMetadata } : undefined;
  }

  /** The adapter oidc-provider uses for its `Client` model. */
  adapter(): Adapter {
    return {
      find: (id) => this.providerMetadata(id),
      upsert: (id, payload) => this.saveRegistered(id, payload),
      destroy: (id) => this.remove(id),
      findByUid: async () => undefined,
      findByUserCode: async () => undefined,
      consume: async () => {},
      revokeByGrantId: async () => {},
    };
  }
}

type ClientMetadata = Record<string, unknown> & {
  client_name?: string;
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  backchannel_logout_uri?: string;
  scope?: string;
  token_endpoint_auth_method?: string;
};

interface ClientRow {
  client_id: string;
  name: string;
  metadata: ClientMetadata;
  secret_ciphertext: string | null;
  source: ClientRecord['source'];
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
}

/** The back-channel logout metadata of a client (none without a URI). */
function backchannelMetadata(uri: string | undefined) {
  return uri ? { backchannel_logout_uri: uri, backchannel_logout_session_required: true } : {};
}

function toRecord(row: ClientRow): ClientRecord {
  return {
    clientId: row.client_id,
    name: row.name,
    redirectUris: row.metadata.redirect_uris ?? [],
    postLogoutRedirectUris: row.metadata.post_logout_redirect_uris ?? [],
    backchannelLogoutUri: row.metadata.backchannel_logout_uri,
    scopes: (row.metadata.scope ?? '').split(' ').filter(Boolean),
    public: row.metadata.token_endpoint_auth_method === 'none',
    source: row.source,
    disabled: row.disabled,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
