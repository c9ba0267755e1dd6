import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/database/platform-schema.ts';
import type { SealedColumn } from '../../platform/security/sealed-columns.ts';
import { SecretBox } from '../../platform/security/secret-box.ts';
import { generateSigningKeyPair } from './certificates.ts';
import type { SamlTables } from './schema.ts';

export type SamlDb = Kysely<SamlTables & PlatformTables>;

const PURPOSE = 'saml-signing-key';

/** The IdP's private keys, sealed under the installation secret. */
export const samlSealedColumn: SealedColumn = {
  what: 'SAML signing keys',
  table: 'saml_signing_keys',
  column: 'private_key_sealed',
  key: ['kid'],
  purpose: () => PURPOSE,
};

export interface SigningKey {
  kid: string;
  privateKeyPem: string;
  certificatePem: string;
}

/**
 * The IdP's two signing certificates: `current` signs every response, `next` is already in the
 * metadata so service providers (Google accepts two certificates per SSO profile) can register it
 * before `rotate()` makes it current.
 */
export class SigningKeys {
  readonly #db: SamlDb;
  readonly #seal: SecretBox;
  readonly #commonName: string;
  #cache: { at: number; current: SigningKey; published: string[] } | undefined;

  constructor(db: SamlDb, secret: string, commonName: string) {
    this.#db = db;
    this.#seal = new SecretBox(secret, PURPOSE);
    this.#commonName = commonName;
  }

  async #create(state: 'current' | 'next'): Promise<void> {
    const pair = await generateSigningKeyPair(
      `${this.#commonName} SAML signing ${new Date().toISOString().slice(0, 10)}`,
    );
    await this.#db
      .insertInto('saml_signing_keys')
      .values({
        kid: randomUUID(),
        private_key_sealed: this.#seal.seal(pair.privateKeyPem),
        certificate_pem: pair.certificatePem,
        state,
        retired_at: null,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async #load() {
    // Several nodes share the keys; a short cache keeps signing cheap and rotation visible within seconds.
    if (this.#cache && Date.now() - this.#cache.at < 30_000) return this.#cache;
    let rows = await this.#db
      .selectFrom('saml_signing_keys')
      .selectAll()
      .where('state', 'in', ['current', 'next'])
      .execute();
    if (!rows.some((r) => r.state === 'current')) await this.#create('current');
    if (!rows.some((r) => r.state === 'next')) await this.#create('next');
    if (rows.length < 2) {
      rows = await this.#db
        .selectFrom('saml_signing_keys')
        .selectAll()
        .where('state', 'in', ['current', 'next'])
        .execute();
    }
    const current = rows.find((r) => r.state === 'current');
    const next = rows.find((r) => r.state === 'next');
    if (!current || !next) throw new Error('SAML signing keys missing');
    this.#cache = {
      at: Date.now(),
      current: {
        kid: current.kid,
        privateKeyPem: this.#seal.open(current.private_key_sealed),
        certificatePem: current.certificate_pem,
      },
      published: [current.certificate_pem, next.certificate_pem],
    };
    return this.#cache;
  }

  async current(): Promise<SigningKey> {
    return (await this.#load()).current;
  }

  /** The certificates in the metadata: current first, then next. */
  async published(): Promise<string[]> {
    return (await this.#load()).published;
  }

  /** next → current, current → retired, a new next. */
  async rotate(): Promise<void> {
    await this.#load();
    await this.#db.transaction().execute(async (tx) => {
      await tx
        .updateTable('saml_signing_keys')
        .set({ state: 'retired', retired_at: new Date() })
        .where('state', '=', 'current')
        .execute();
      await tx
        .updateTable('saml_signing_keys')
        .set({ state: 'current' })
        .where('state', '=', 'next')
        .execute();
    });
    this.#cache = undefined;
    await this.#create('next');
  }
}
