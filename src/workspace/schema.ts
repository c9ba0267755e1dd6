import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** none → queued → active, or → conflict / failed (an administrator looks at it). */
export type ActivationState = 'none' | 'queued' | 'active' | 'conflict' | 'failed';

export interface DriftItem {
  sub: string;
  googleEmail: string;
  problem: 'missing' | 'suspension' | 'org_unit' | 'foreign' | 'not_recorded';
  expected: string;
  found: string;
}

/** The activation portal's tables (its own database; it knows the cloud and Google only by protocol). */
export interface WorkspaceTables {
  workspace_accounts: {
    /** The cloud's OIDC `sub`: the immutable link, stored in Google as an external id. */
    cloud_sub: string;
    cloud_username: string;
    cloud_email: string;
    display_name: string;
    given_name: string;
    family_name: string;
    school_code: string | null;
    county: string | null;
    google_email: string;
    org_unit_path: string;
    state: ActivationState;
    /** What the cloud says about the account; Google follows it. */
    cloud_state: 'active' | 'suspended';
    google_user_id: string | null;
    google_suspended: boolean | null;
    /** Bumped on every change Google must follow (one sync job per version). */
    sync_version: Generated<number>;
    activation_round: Generated<number>;
    last_error: string | null;
    requested_at: Timestamp | null;
    activated_at: Timestamp | null;
    updated_at: Timestamp;
  };
  workspace_org_units: {
    path: string;
    created_at: Generated<Date>;
  };
  workspace_schools: {
    code: string;
    county: string;
    name: string;
  };
  workspace_admins: {
    cloud_username: string;
  };
  workspace_reconcile_reports: {
    id: string;
    started_at: Timestamp;
    finished_at: Timestamp | null;
    checked: number;
    drift: Json<DriftItem[]>;
    error: string | null;
  };
  /** A browser signed in through the cloud; the cloud's back-channel logout revokes it by `sid` or `sub`. */
  workspace_sessions: {
    id: string;
    cloud_sub: string;
    /** The cloud provider's session id for this portal (`sid` of the ID token). */
    cloud_sid: string | null;
    created_at: Generated<Date>;
    revoked_at: Timestamp | null;
  };
}
