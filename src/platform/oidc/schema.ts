import type { ColumnType, Kysely } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;

/**
 * Tables of an OpenID Connect provider inside a role database. Every row carries the tenant
 * (a county code such as `cyc`, or `default` for a role with one issuer), so one database serves
 * several issuers.
 */
export interface OidcTables {
  /** oidc-provider artifacts (codes, tokens, sessions, grants, interactions …) by model and id. */
  oidc_payloads: {
    tenant: string;
    model: string;
    id: string;
    payload: Json<Record<string, unknown>>;
    grant_id: string | null;
    uid: string | null;
    user_code: string | null;
    expires_at: Timestamp | null;
    consumed_at: Timestamp | null;
  };
  /** Registered relying parties; the secret is encrypted, the rest is oidc-provider client metadata. */
  oidc_clients: {
    tenant: string;
    client_id: string;
    name: string;
    metadata: Json<Record<string, unknown>>;
    secret_ciphertext: string | null;
    source: 'admin' | 'registration' | 'seed';
    disabled: boolean;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  /** ID token signing keys; the private JWK is encrypted. The newest unretired key signs. */
  oidc_signing_keys: {
    tenant: string;
    kid: string;
    alg: string;
    private_jwk_ciphertext: string;
    public_jwk: Json<Record<string, unknown>>;
    created_at: Timestamp;
    retired_at: Timestamp | null;
  };
  /** Scopes an account agreed to release to a client, so consent is asked only when they grow. */
  oidc_consents: {
    tenant: string;
    account_id: string;
    client_id: string;
    scopes: Json<string[]>;
    updated_at: Timestamp;
  };
  /** A counter per issuer that moves when its clients or signing keys change (nodes poll it). */
  oidc_versions: {
    tenant: string;
    version: ColumnType<number, number, number>;
    changed_at: Timestamp;
  };
}

/** A role database seen through the OIDC tables (the table map is invariant, hence the cast). */
export function oidcView<T>(db: Kysely<T>): Kysely<OidcTables> {
  return db as unknown as Kysely<OidcTables>;
}
