import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface ExternalId {
  value: string;
  type: string;
  customType?: string;
}

/** The Google stand-in's own tables (demo and tests only). */
export interface GoogleTables {
  google_domains: {
    domain: string;
    /** Where the domain's SAML IdP publishes its metadata (fetched at first use). */
    idp_metadata_url: string | null;
    idp_entity_id: string | null;
    idp_sso_url: string | null;
    /** Base64 DER certificates of the IdP (the SSO profile accepts up to two). */
    idp_certificates: Json<string[]>;
    idp_fetched_at: Timestamp | null;
    /** The SSO profile's sign-out URL: where Google sends the browser after signing it out. */
    sign_out_url: ColumnType<string | null, string | null | undefined, string | null>;
  };
  google_users: {
    id: string;
    primary_email: string;
    given_name: string;
    family_name: string;
    org_unit_path: string;
    external_ids: Json<ExternalId[]>;
    suspended: boolean;
    /** sha-1/md5/crypt/plain: how the password was given; the value itself is never kept in clear. */
    password_hash: string;
    hash_function: string | null;
    etag: string;
    created_at: Generated<Date>;
    updated_at: Timestamp;
    /** Until then the user is still being created: get answers 404 and update 412, as Google does. */
    visible_at: Timestamp;
    deleted_at: Timestamp | null;
  };
  google_org_units: {
    id: string;
    path: string;
    name: string;
    parent_path: string;
    description: string;
    created_at: Generated<Date>;
  };
  /** Public keys of service accounts (their private keys are in the JSON key files, never here). */
  google_service_account_keys: {
    key_id: string;
    client_email: string;
    client_id: string;
    public_key_pem: string;
    created_at: Generated<Timestamp>;
  };
  /** Domain-wide delegation: the scopes a service account (by client ID) may use as any user. */
  google_delegations: {
    client_id: string;
    /** Space-separated. */
    scopes: string;
  };
  google_access_tokens: {
    token_hash: string;
    client_id: string;
    scopes: string;
    expires_at: Timestamp;
  };
  google_saml_requests: {
    id: string;
    domain: string;
    relay_state: string;
    continue_url: string;
    created_at: Generated<Date>;
    consumed_at: Timestamp | null;
  };
  google_saml_seen: {
    /** Response or assertion ID already accepted (replay defence). */
    id: string;
    expires_at: Timestamp;
  };
}
