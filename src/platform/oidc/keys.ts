import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { OidcTables } from './schema.ts';
import type { SecretBox } from './secret-box.ts';
import type { ChangeVersion } from './versions.ts';

/** The first half of the advisory lock an issuer's key changes take (the second is the tenant's hash). */
const KEY_LOCK = sql.lit(0x45444b59);

export interface PrivateJwk extends Record<string, unknown> {
  kid: string;
  kty: string;
  alg: string;
  use: 'sig';
}

export interface SigningKeyInfo {
  kid: string;
  alg: string;
  createdAt: Date;
  retiredAt: Date | null;
  /** Still in the published key set (the current key, or retired less than the retention ago). */
  published: boolean;
  current: boolean;
}

/**
 * ID token signing keys of one issuer, stored with the private part encrypted. Rotation adds a
 * new key that signs from then on; the previous one stays published for `retentionSeconds`
 * (longer than any token signed with it lives) so relying parties can still verify it.
 */
export class SigningKeyStore {
  readonly #db: Kysely<OidcTables>;
  readonly #tenant: string;
  readonly #box: SecretBox;
  readonly #retentionMs: number;
  readonly #versions: ChangeVersion | undefined;

  constructor(
    db: Kysely<OidcTables>,
    tenant: string,
    box: SecretBox,
    retentionSeconds = 7 * 86400,
    versions?: ChangeVersion,
  ) {
    this.#db = db;
    this.#tenant = tenant;
    this.#box = box;
    this.#retentionMs = retentionSeconds * 1000;
    this.#versions = versions;
  }

  /**
   * Creates the first key when the issuer has none. Nodes that start at once on a new database
   * each call this: the check and the insert run under the issuer's key lock, so only the first
   * creates a key and the others find it.
   */
  async ensure(): Promise<void> {
    const current = await this.#db
      .selectFrom('oidc_signing_keys')
      .select('kid')
      .where('tenant', '=', this.#tenant)
      .where('retired_at', 'is', null)
      .executeTakeFirst();
    if (current) return;
    const created = await this.#replaceCurrent(async (tx) => {
      const found = await tx
        .selectFrom('oidc_signing_keys')
        .select('kid')
        .where('tenant', '=', this.#tenant)
        .where('retired_at', 'is', null)
        .executeTakeFirst();
      return found === undefined;
    });
    if (created) await this.#versions?.bump();
  }

  /**
   * Adds a new RS256 key that signs from now on; retires (but keeps publishing) the others.
   * Rotations on several nodes at once follow one another, so one key is current afterwards.
   */
  async rotate(): Promise<SigningKeyInfo> {
    const created = await this.#replaceCurrent(async () => true);
    if (!created) throw new Error('the signing key rotation added no key');
    await this.#versions?.bump();
    return created;
  }

  /**
   * Under the issuer's key lock (held to the end of the transaction), asks `wanted` and, when it
   * says yes, retires the current key and adds a new one.
   */
  async #replaceCurrent(
    wanted: (tx: Transaction<OidcTables>) => Promise<boolean>,
  ): Promise<SigningKeyInfo | undefined> {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = `${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(6).toString('hex')}`;
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } as PrivateJwk;
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
    return this.#db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(${KEY_LOCK}, hashtext(${this.#tenant}))`.execute(tx);
      if (!(await wanted(tx))) return undefined;
      // The time is taken under the lock, so a later rotation always has the later key.
      const now = new Date();
      await tx
        .updateTable('oidc_signing_keys')
        .set({ retired_at: now })
        .where('tenant', '=', this.#tenant)
        .where('retired_at', 'is', null)
        .execute();
      await tx
        .insertInto('oidc_signing_keys')
        .values({
          tenant: this.#tenant,
          kid,
          alg: 'RS256',
          private_jwk_ciphertext: this.#box.seal(JSON.stringify(jwk)),
          public_jwk: JSON.stringify(publicJwk),
          created_at: now,
          retired_at: null,
        })
        .execute();
      return { kid, alg: 'RS256', createdAt: now, retiredAt: null, published: true, current: true };
    });
  }

  async list(): Promise<SigningKeyInfo[]> {
    const rows = await this.#db
      .selectFrom('oidc_signing_keys')
      .select(['kid', 'alg', 'created_at', 'retired_at'])
      .where('tenant', '=', this.#tenant)
      .orderBy('created_at', 'desc')
      .execute();
    const cutoff = Date.now() - this.#retentionMs;
    return rows.map((row) => ({
      kid: row.kid,
      alg: row.alg,
      createdAt: new Date(row.created_at),
      retiredAt: row.retired_at ? new Date(row.retired_at) : null,
      current: row.retired_at === null,
      published: row.retired_at === null || new Date(row.retired_at).getTime() > cutoff,
    }));
  }

  /** The private keys oidc-provider gets: the current key first (it signs), then retired ones. */
  async privateJwks(): Promise<PrivateJwk[]> {
    const rows = await this.#db
      .selectFrom('oidc_signing_keys')
      .select(['private_jwk_ciphertext', 'retired_at'])
      .where('tenant', '=', this.#tenant)
      .where((eb) =>
        eb.or([
          eb('retired_at', 'is', null),
          eb('retired_at', '>', new Date(Date.now() - this.#retentionMs)),
        ]),
      )
      .orderBy(sql`retired_at is null`, 'desc')
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((row) => JSON.parse(this.#box.open(row.private_jwk_ciphertext)) as PrivateJwk);
  }

  /** Changes whenever the published set changes (new key, retirement, retention passing). */
  async fingerprint(): Promise<string> {
    const keys = await this.list();
    return keys
      .filter((k) => k.published)
      .map((k) => `${k.kid}:${k.current ? 'c' : 'r'}`)
      .join(',');
  }

  /** Deletes keys whose retention has passed. */
  async prune(): Promise<number> {
    const result = await this.#db
      .deleteFrom('oidc_signing_keys')
      .where('tenant', '=', this.#tenant)
      .where('retired_at', '<', new Date(Date.now() - this.#retentionMs))
      .executeTakeFirst();
    const deleted = Number(result.numDeletedRows);
    if (deleted > 0) await this.#versions?.bump();
    return deleted;
  }
}
