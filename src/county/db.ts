import type { Kysely, Transaction } from 'kysely';
import { type AuditEvent, recordAudit } from '../platform/audit/audit-log.ts';
import { type EnqueueOptions, enqueueJob } from '../platform/jobs/queue.ts';
import { type OutgoingMail, queueMail } from '../platform/mail/outbox.ts';
import type { CountyDatabase } from './schema.ts';

/** The county database or one of its transactions; also a `PlatformTx` (it has the platform's tables). */
export type CountyTx = Kysely<CountyDatabase> | Transaction<CountyDatabase>;

/** Appends to the audit log in the caller's transaction. */
export function audit(db: CountyTx, event: AuditEvent): Promise<void> {
  return recordAudit(db, event);
}

/** Appends a record about `account` (the target, in its county) in the caller's transaction. */
export function auditAccount(
  db: CountyTx,
  account: { id: string; tenant: string },
  event: Omit<AuditEvent, 'tenant' | 'target'>,
): Promise<void> {
  return recordAudit(db, { tenant: account.tenant, target: account.id, ...event });
}

/** Queues a mail in the caller's transaction (sent if and only if the change commits). */
export function mail(db: CountyTx, message: OutgoingMail): Promise<string> {
  return queueMail(db, message);
}

/** Queues a job in the caller's transaction. */
export function job(
  db: CountyTx,
  type: string,
  payload: Record<string, unknown>,
  options?: EnqueueOptions,
): Promise<string | undefined> {
  return enqueueJob(db, type, payload, options);
}
