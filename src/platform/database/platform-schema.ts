import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';

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
 * The platform's tables in a role's database, or in one of its transactions: what the platform's
 * pieces that write in the caller's transaction take (audit, outbox, jobs, one-time links). A role
 * passes its own database or transaction as it is (`CountyTx`, `CloudTx`, …): a database typed with
 * more tables is one of these, no cast (Kysely to Kysely, transaction to transaction).
 */
export type PlatformTx = Kysely<PlatformTables> | Transaction<PlatformTables>;

/**
 * A role database or transaction seen through the platform tables only. Not needed (pass the
 * database as it is, see `PlatformTx`); kept for its last callers, in the OIDC logout delivery and
 * the security event delivery test.
 */
export function platformView(db: PlatformTx): PlatformTx {
  return db;
}
