import type { ColumnType, Generated, Kysely } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** The security event tables every role has in its own database (see migrations.ts). */
export interface SecurityEventTables {
  /** Transmitter side: where this role's issuers push their events. */
  security_event_receivers: {
    id: string;
    /** The transmitting issuer inside the role: a county code, or `default` for the cloud. */
    tenant: string;
    endpoint_url: string;
    /** The `aud` of every SET sent there (by convention the receiver's OIDC client id). */
    audience: string;
    enabled: boolean;
    created_at: Generated<Date>;
    updated_at: Timestamp;
  };
  /** Receiver side: the `jti` of every SET accepted, kept while such a SET could still be fresh. */
  security_event_jtis: {
    issuer: string;
    jti: string;
    received_at: Generated<Date>;
    expires_at: Timestamp;
  };
  /** Receiver side: the newest event applied per subject, so a late retry never undoes a newer one. */
  security_event_subjects: {
    issuer: string;
    subject: string;
    /** Time of the event (`toe`, seconds with a fraction). */
    last_toe: number;
    last_txn: string | null;
    updated_at: Timestamp;
  };
}

/** A role database seen through the security event tables (the table map is invariant: one cast). */
export function securityEventView<T>(db: Kysely<T>): Kysely<SecurityEventTables> {
  return db as unknown as Kysely<SecurityEventTables>;
}
