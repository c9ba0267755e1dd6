import type { ColumnType, Generated } from 'kysely';
import type { SamlTables } from './saml/schema.ts';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** What the cloud keeps of a county identity, refreshed on every login through that county. */
export interface CountySnapshot {
  username: string | null;
  name: string | null;
  familyName: string | null;
  givenName: string | null;
  email: string | null;
  schoolid: string | null;
  titles: Array<{ schoolid: string; titles: string[] }>;
  classinfo: Array<Record<string, string>>;
  openid2Id: string | null;
}

export type AccountState = 'active' | 'suspended';

export type FirstLoginState = 'no_account' | 'choose_name' | 'set_password' | 'consent' | 'link' | 'done';

/**
 * The education cloud's tables (its own database; never shared with another role), with those of
 * the SAML IdP it mounts, as the county's include RADIUS's.
 */
export interface CloudTables extends SamlTables {
  cloud_accounts: {
    /** Stable UUID, the OIDC `sub`. */
    id: string;
    /** Local part of `name@mail.edu.tw`, lowercase, unique. */
    name: string;
    password_hash: string | null;
    display_name: string;
    family_name: string | null;
    given_name: string | null;
    backup_email: string | null;
    pending_backup_email: string | null;
    state: AccountState;
    /** Who suspended it: `admin`, or `county` (its county identities stopped; lifted when one returns). */
    suspended_by: ColumnType<'admin' | 'county' | null, 'admin' | 'county' | null | undefined>;
    is_admin: boolean;
    /** Keyed hash of the county `guid` claim (never the guid or the national ID itself). */
    guid_hash: string | null;
    openid2_ids: Json<string[]>;
    created_at: Generated<Date>;
    updated_at: Timestamp;
  };
  cloud_identities: {
    id: string;
    account_id: string;
    county_code: string;
    issuer: string;
    subject: string;
    snapshot: Json<CountySnapshot>;
    linked_at: Generated<Date>;
    last_login_at: Timestamp;
    /** Set when the county said the account was suspended or departed (a security event). */
    disabled_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
    disabled_reason: ColumnType<string | null, string | null | undefined, string | null>;
  };
  cloud_counties: {
    code: string;
    name: string;
    issuer: string;
    client_id: string;
    /** AES-256-GCM sealed with a key derived from the installation secret. */
    client_secret_sealed: string;
    enabled: boolean;
    created_at: Generated<Date>;
    updated_at: Timestamp;
  };
  cloud_login_flows: {
    id: string;
    state: FirstLoginState;
    county_code: string;
    issuer: string;
    subject: string;
    snapshot: Json<CountySnapshot>;
    guid_hash: string | null;
    chosen_name: string | null;
    password_hash: string | null;
    backup_email: string | null;
    /** The account a `link` flow proposes (found by guid), or the account a `done` flow created. */
    account_id: string | null;
    return_to: string | null;
    expires_at: Timestamp;
    created_at: Generated<Date>;
  };
  cloud_roles: {
    code: string;
    name: string;
    description: string;
    created_at: Generated<Date>;
  };
  cloud_role_assignments: {
    role_code: string;
    account_id: string;
    /** '' when the role is not tied to a school. */
    schoolid: string;
    created_at: Generated<Date>;
  };
  /** A signed-in browser (the cloud session names its row): listed on 登入中的裝置, revocable. */
  cloud_sessions: {
    id: string;
    account_id: string;
    /** The county of a county login, its OIDC session (`sid`) and subject: its back-channel logout ends this row. */
    county_code: string | null;
    county_sid: string | null;
    county_sub: string | null;
    /** The cloud OIDC provider's session of the same browser (ended with this one). */
    oidc_session_uid: string | null;
    ip: string | null;
    user_agent: string | null;
    created_at: ColumnType<Date, Date | string | undefined, never>;
    last_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
    revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  };
}
