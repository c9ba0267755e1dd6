import { importJWK } from 'jose';
import type { Kysely } from 'kysely';
import { oidcView, SecretBox, SigningKeyStore } from '../oidc/index.ts';
import type { SetSigningKey } from './set.ts';

/**
 * The signing key of a role's OIDC issuer, for SETs: the key the issuer currently signs ID tokens
 * with, read from its key store (`oidc_signing_keys`, opened the way `OidcProvider` opens it:
 * a `SecretBox` for purpose `signing-key/{tenant}` under the installation secret). Receivers
 * verify against the issuer's published `/oidc/v1/jwksets`, so a key rotation needs no step here.
 * Returns undefined while the issuer has no key yet.
 */
export function oidcIssuerSigningKeys<DB>(
  db: Kysely<DB>,
  installationSecret: string,
): (tenant: string) => Promise<SetSigningKey | undefined> {
  const stores = new Map<string, SigningKeyStore>();
  const imported = new Map<string, SetSigningKey>();
  return async (tenant) => {
    let store = stores.get(tenant);
    if (!store) {
      store = new SigningKeyStore(
        oidcView(db),
        tenant,
        new SecretBox(installationSecret, `signing-key/${tenant}`),
      );
      stores.set(tenant, store);
    }
    const current = (await store.list()).find((k) => k.current);
    if (!current) return undefined;
    const cacheKey = `${tenant}:${current.kid}`;
    const cached = imported.get(cacheKey);
    if (cached) return cached;
    const jwk = (await store.privateJwks()).find((k) => k.kid === current.kid);
    if (!jwk) return undefined;
    const key = (await importJWK(jwk, jwk.alg)) as CryptoKey;
    const signing = { key, kid: jwk.kid, alg: jwk.alg };
    imported.set(cacheKey, signing);
    return signing;
  };
}
