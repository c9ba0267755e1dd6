import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';

/**
 * A peer's published keys (its JWKS URI): fetched when a token names a key not yet known, at most
 * every 30 seconds, each fetch given up after 5 seconds.
 */
export function remoteKeySet(jwksUri: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 5000, cooldownDuration: 30_000 });
}

/** The published keys of every peer a receiver trusts: one key set per JWKS URI, kept. */
export class RemoteKeySets {
  readonly #sets = new Map<string, JWTVerifyGetKey>();
  readonly #open: (jwksUri: string) => JWTVerifyGetKey;

  /** `open`: how to reach the keys of one URI (default `remoteKeySet`; tests give local keys). */
  constructor(open: ((jwksUri: string) => JWTVerifyGetKey) | undefined) {
    this.#open = open ?? remoteKeySet;
  }

  of(jwksUri: string): JWTVerifyGetKey {
    let keys = this.#sets.get(jwksUri);
    if (!keys) {
      keys = this.#open(jwksUri);
      this.#sets.set(jwksUri, keys);
    }
    return keys;
  }
}
