import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;

/** Tables every role has in its own database: sessions, jobs, mail outbox, audit log, one-time links. */
export interface PlatformTables {
  sessions: {
    id: string;
    data: Json<Record<string, unknown>>;
    expires_at: Timestamp;
  };
  jobs: {
    id: string;
    type: string;
    payload: Json<Record<string, unknown>>;
    state: 'queued' | 'running' | 'done' | 'failed';
    attempts: Generated<number>;
    max_attempts: number;
    run_at: Timestamp;
    locked_until: Timestamp | null;
    locked_by: string | null;
    last_error: string | null;
    idempotency_key: string | null;
    created_at: Generated<Date>;
    finished_at: Timestamp | null;
  };
  mail_outbox: {
    id: string;
    to_address: string;
    subject: string;
    text_body: string;
    html_body: string | null;
    state: 'pending' | 'sent' | 'failed';
    message_id: string | null;
    created_at: Generated<Date>;
    sent_at: Timestamp | null;
  };
  audit_log: {
    id: Generated<number>;
    at: Generated<Date>;
    tenant: string | null;
    actor: string | null;
    action: string;
    target: string | null;
    ip: string | null;
    details: Json<Record<string, unknown>>;
  };
  used_links: {
    jti: string;
    purpose: string;
    used_at: Generated<Date>;
    expires_at: Timestamp;
  };
  throttle: {
    key: string;
    count: number;
    last_at: Timestamp;
    expires_at: Timestamp;
  };
  settings: {
    key: string;
    value: Json<unknown>;
  };
}

/**
 * A role database seen through the platform tables only. Kysely's table map is invariant, so the
 * narrowing needs one cast; it is safe because every role database includes PlatformTables.
 */
export function platformView<T>(
  db: import('kysely').Kysely<T & PlatformTables>,
): import('kysely').Kysely<PlatformTables> {
  return db as unknown as import('kysely').Kysely<PlatformTables>;
}
