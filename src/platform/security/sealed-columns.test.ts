import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../database/connect.ts';
import {
  ClientRegistry,
  type OidcTables,
  oidcMigrations,
  oidcSealedColumns,
  SigningKeyStore,
} from '../oidc/index.ts';
import { testDatabases } from '../testing/databases.ts';
import { checkSealedColumns, InstallationSecretMismatch, resealColumns } from './sealed-columns.ts';
import { SecretBox } from './secret-box.ts';

const OLD = 'old-installation-secret-0123456789abcdef';
const NEW = 'new-installation-secret-fedcba9876543210';

function stores(db: Kysely<OidcTables>, secret: string) {
  return {
    keys: new SigningKeyStore(db, 'cyc', new SecretBox(secret, 'signing-key/cyc')),
    clients: new ClientRegistry(db, 'cyc', new SecretBox(secret, 'client-secret/cyc'), ['openid']),
  };
}

describe.each(await testDatabases())('sealed columns on $name', (kind) => {
  let database: Database<OidcTables>;
  let issued: { client_id: string; client_secret?: string };
  let jwks: Array<Record<string, unknown>>;

  beforeAll(async () => {
    database = await kind.open<OidcTables>(oidcMigrations('9000_oidc'));
    const { keys, clients } = stores(database.db, OLD);
    await keys.ensure();
    await keys.rotate();
    issued = await clients.add({
      name: 'School app',
      redirectUris: ['https://app.example/cb'],
      scopes: ['openid'],
    });
    jwks = await keys.privateJwks();
  });
  afterAll(() => database.close());

  it('names EDUGATE_SECRET and the signing keys when the secret does not open them', async () => {
    await expect(checkSealedColumns(database.db, oidcSealedColumns, OLD)).resolves.toBe(3);
    const error = await checkSealedColumns(database.db, oidcSealedColumns, NEW).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InstallationSecretMismatch);
    expect((error as Error).message).toMatch(/^EDUGATE_SECRET does not decrypt the stored signing keys: /);
    expect((error as Error).message).not.toContain('unable to authenticate');
  });

  it('rotation re-seals keys and client secrets: readable with the new secret, no longer with the old', async () => {
    const counts = await resealColumns(database.db, oidcSealedColumns, OLD, NEW);
    expect(counts.map((c) => [c.table, c.rows])).toEqual([
      ['oidc_signing_keys', 2],
      ['oidc_clients', 1],
    ]);
    const renewed = stores(database.db, NEW);
    expect(await renewed.keys.privateJwks()).toEqual(jwks);
    const metadata = await renewed.clients.providerMetadata(issued.client_id);
    expect(metadata?.client_secret).toBe(issued.client_secret);

    await expect(stores(database.db, OLD).keys.privateJwks()).rejects.toThrow(/another installation secret/);
    await expect(checkSealedColumns(database.db, oidcSealedColumns, OLD)).rejects.toThrow(
      /^EDUGATE_SECRET does not decrypt the stored signing keys/,
    );
    await expect(checkSealedColumns(database.db, oidcSealedColumns, NEW)).resolves.toBe(3);
  });

  it('a rotation from a wrong current secret changes nothing', async () => {
    const before = await database.db
      .selectFrom('oidc_signing_keys')
      .select('private_jwk_ciphertext')
      .execute();
    await expect(resealColumns(database.db, oidcSealedColumns, OLD, NEW)).rejects.toThrow(
      InstallationSecretMismatch,
    );
    const after = await database.db
      .selectFrom('oidc_signing_keys')
      .select('private_jwk_ciphertext')
      .execute();
    expect(after).toEqual(before);
    await expect(checkSealedColumns(database.db, oidcSealedColumns, NEW)).resolves.toBe(3);
  });
});
