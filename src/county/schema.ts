import type { ColumnType, Generated, Kysely } from 'kysely';
import type { PlatformTables } from '../platform/database/platform-schema.ts';
import type { RadiusTables } from './radius/schema.ts';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

export type AccountState =
  | 'pending_email'
  | 'pending_review'
  | 'rejected'
  | 'active'
  | 'suspended'
  | 'departed';
export const ACCOUNT_STATES: readonly AccountState[] = [
  'pending_email',
  'pending_review',
  'rejected',
  'active',
  'suspended',
  'departed',
];

/** teacher: registered staff; reviewer: a unit's reviewer (bound to one unit); county_admin: 縣網中心. */
export type AccountRole = 'teacher' | 'reviewer' | 'county_admin';

export type RegistrationState = 'credentials' | 'email' | 'terms' | 'unit' | 'submitted';
export type TransferState = 'pending' | 'approved' | 'rejected' | 'cancelled';
export type CampaignState = 'open' | 'closed';
export type CampaignDecision = 'confirmed' | 'flagged';

/** The county portal's tables (every row belongs to one tenant, i.e. one county). */
export interface CountyTables extends RadiusTables {
  county_tenants: {
    code: string;
    name: string;
    portal_name: string;
    mail_domain: string;
    created_at: Generated<Date>;
  };
  county_units: {
    tenant: string;
    code: string;
    name: string;
    abbreviation: string | null;
    mailbox: string;
    mailbox_normalized: string;
    active: Generated<boolean>;
    created_at: Generated<Date>;
    updated_at: Generated<Date>;
  };
  county_accounts: {
    /** Stable UUID: the county OIDC `sub`. */
    id: string;
    tenant: string;
    username: string;
    username_normalized: string;
    password_hash: string;
    email: string;
    email_normalized: string;
    email_verified_at: NullableTimestamp;
    role: AccountRole;
    /** The account's state; code reads it as `Account.state` (see `accountFromRow`). */
    status: AccountState;
    /** Why it was rejected, suspended or departed; `Account.state_reason` in code. */
    status_reason: string | null;
    real_name: string | null;
    family_name: string | null;
    given_name: string | null;
    national_id_encrypted: string | null;
    national_id_blind_index: string | null;
    /** A number the teacher typed, sealed like the recorded one, until the school reviewer decides. */
    national_id_submitted_encrypted: string | null;
    national_id_submitted_at: NullableTimestamp;
    unit_code: string | null;
    unit_confirmed_at: NullableTimestamp;
    titles: Json<string[]>;
    terms_version: string | null;
    terms_accepted_at: NullableTimestamp;
    review_requested_at: NullableTimestamp;
    reviewed_at: NullableTimestamp;
    reviewed_by: string | null;
    /** Set when an audit campaign (清查) suspended the account, so the suspension can be undone. */
    suspended_by_campaign: string | null;
    password_changed_at: NullableTimestamp;
    last_login_at: NullableTimestamp;
    created_at: Generated<Date>;
    updated_at: Generated<Date>;
  };
  county_registration_flows: {
    id: string;
    tenant: string;
    state: RegistrationState;
    username: string | null;
    username_normalized: string | null;
    password_hash: string | null;
    email: string | null;
    email_normalized: string | null;
    terms_version: string | null;
    terms_accepted_at: NullableTimestamp;
    unit_code: string | null;
    account_id: string | null;
    created_at: Generated<Date>;
    updated_at: Generated<Date>;
    expires_at: Timestamp;
  };
  county_account_sessions: {
    id: string;
    tenant: string;
    account_id: string;
    ip: string | null;
    user_agent: string | null;
    created_at: Generated<Date>;
    last_seen_at: Generated<Date>;
    revoked_at: NullableTimestamp;
    /** The county OIDC provider's session of the same browser (ended with this one). */
    oidc_session_uid: Generated<string | null>;
  };
  county_transfer_requests: {
    id: string;
    tenant: string;
    account_id: string;
    from_unit: string | null;
    to_unit: string;
    state: TransferState;
    reason: string | null;
    decided_by: string | null;
    created_at: Generated<Date>;
    decided_at: NullableTimestamp;
  };
  county_announcements: {
    id: string;
    tenant: string;
    title: string;
    category: string;
    author: string;
    body_markdown: string;
    published_at: Timestamp;
    created_at: Generated<Date>;
    updated_at: Generated<Date>;
    /** Incremented on every edit; an edit form carries the version it was based on. */
    version: Generated<number>;
    updated_by: ColumnType<string | null, string | null | undefined, string | null>;
  };
  county_pages: {
    tenant: string;
    slug: string;
    title: string;
    body_markdown: string;
    /** Incremented on every edit; the terms page's version is recorded when an applicant accepts. */
    version: number;
    updated_by: string | null;
    updated_at: Generated<Date>;
  };
  county_audit_campaigns: {
    id: string;
    tenant: string;
    title: string;
    deadline: Timestamp;
    state: CampaignState;
    created_by: string;
    suspended_count: Generated<number>;
    created_at: Generated<Date>;
    closed_at: NullableTimestamp;
  };
  county_audit_entries: {
    campaign_id: string;
    account_id: string;
    unit_code: string | null;
    decision: CampaignDecision;
    note: string | null;
    decided_by: string;
    decided_at: Generated<Date>;
  };
}

export type CountyDatabase = CountyTables & PlatformTables;
export type CountyDb = Kysely<CountyDatabase>;
