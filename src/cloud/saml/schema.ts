import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** The SAML IdP's tables, in the education cloud's database. */
export interface SamlTables {
  saml_service_providers: {
    id: string;
    /** The exact Issuer of its AuthnRequests (`google.com/a/go.edu.tw`, `https://accounts.google.com/samlrp/metadata?rpid=…`). */
    entity_id: string;
    name: string;
    /** The only ACS URLs a response may be sent to. */
    acs_urls: Json<string[]>;
    name_id_format: string;
    /** When set, NameID = `<cloud account name>@<this domain>` (Google: the workspace address). */
    name_id_domain: string | null;
    want_assertions_signed: boolean;
    enabled: boolean;
    created_at: Generated<Date>;
    updated_at: Timestamp;
  };
  saml_signing_keys: {
    kid: string;
    private_key_sealed: string;
    certificate_pem: string;
    /** `current` signs; `next` is published ahead of a rotation; `retired` is kept for the record. */
    state: 'current' | 'next' | 'retired';
    created_at: Generated<Date>;
    retired_at: Timestamp | null;
  };
  /**
   * The Google address the workspace portal provisioned or adopted for a cloud account (external id
   * = the account id), as it last confirmed it; used only while the portal cannot be asked.
   */
  saml_google_links: {
    account_id: string;
    domain: string;
    google_email: string;
    confirmed_at: Timestamp;
  };
}
