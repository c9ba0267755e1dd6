import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../database/connect.ts';
import { SecretBox } from '../security/secret-box.ts';
import { testDatabases } from '../testing/databases.ts';
import { SigningKeyStore } from './keys.ts';
import { oidcMigrations } from './migrations.ts';
import type { OidcTables } from './schema.ts';

const SECRET = 'installation-secret-0123456789abcdef';

describe.each(await testDatabases())('signing keys on $name', (kind) => {
  let database: Database<OidcTables>;
  beforeAll(async () => {
    database = await kind.open<OidcTables>(oidcMigrations('9000_oidc'));
  });
  afterAll(() => database.close());

  /** One node's key store: nodes share only the database. */
  const node = (tenant: string) =>
    new SigningKeyStore(database.db, tenant, new SecretBox(SECRET, `signing-key/${tenant}`));

  it('publishes one key when several nodes start at once on a new database', async () => {
    const nodes = Array.from({ length: 6 }, () => node('first-start'));
    await Promise.all(nodes.map((keys) => keys.ensure()));
    const keys = await nodes[0]?.list();
    expect(keys).toHaveLength(1);
    expect(keys?.[0]?.current).toBe(true);
    // A later start finds the key and adds none.
    await node('first-start').ensure();
    expect(await nodes[0]?.list()).toHaveLength(1);
  });

  it('leaves one current key, which signs, after rotations on several nodes at once', async () => {
    await node('rotations').ensure();
    const added = await Promise.all(Array.from({ length: 4 }, () => node('rotations').rotate()));
    const keys = await node('rotations').list();
    expect(keys).toHaveLength(5);
    const current = keys.filter((key) => key.current);
    expect(current).toHaveLength(1);
    expect(added.map((key) => key.kid)).toContain(current[0]?.kid);
    // The current key is the one that signs: first of the private keys.
    expect((await node('rotations').privateJwks())[0]?.kid).toBe(current[0]?.kid);
  });
});
