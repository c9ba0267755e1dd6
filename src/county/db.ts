import type { Kysely, Transaction } from 'kysely';
import { type AuditEvent, recordAudit } from '../platform/audit/audit-log.ts';
import type { PlatformTx } from '../platform/database/platform-schema.ts';
import { type EnqueueOptions, enqueueJob } from '../platform/jobs/queue.ts';
import { type OutgoingMail, queueMail } from '../platform/mail/outbox.ts';
import type { CountyDatabase } from './schema.ts';

export type CountyTx = Kysely<CountyDatabase> | Transaction<CountyDatabase>;

// The county database includes the platform tables: a county transaction is a platform one.
const platform = (db: CountyTx): PlatformTx => db;

/** Appends to the audit log in the caller's transaction. */
export function audit(db: CountyTx, event: AuditEvent): Promise<void> {
  return recordAudit(platform(db), event);
}

/** Queues a mail in the caller's transaction (sent if and only if the change commits). */
export function mail(db: CountyTx, message: OutgoingMail): Promise<string> {
  return queueMail(platform(db), message);
}

/** Queues a job in the caller's transaction. */
export function job(
  db: CountyTx,
  type: string,
  payload: Record<string, unknown>,
  options?: EnqueueOptions,
): Promise<string | undefined> {
  return enqueueJob(platform(db), type, payload, options);
}

export function platformDb(db: CountyTx): PlatformTx {
  return platform(db);
}
