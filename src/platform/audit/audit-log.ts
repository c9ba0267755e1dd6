import { bulkInsert } from '../database/bulk-insert.ts';
import type { PlatformTx } from '../database/platform-schema.ts';

export interface AuditEvent {
  tenant?: string | null;
  /** Who: an account name, `system`, or `anonymous`. Never a national ID. */
  actor: string | null;
  /** What, as a stable dotted verb: `account.suspended`, `login.failed`, `review.approved`. */
  action: string;
  target?: string | null;
  /** From where: the client address. */
  ip?: string | null;
  details?: Record<string, unknown>;
}

/**
 * Appends to the audit log. Pass the transaction that makes the change so the record and the
 * change are committed together. The table refuses updates and deletes.
 */
export async function recordAudit(db: PlatformTx, event: AuditEvent): Promise<void> {
  await db.insertInto('audit_log').values(auditRow(event)).execute();
}

/** Records many events at once (bulk operations), in the caller's transaction. */
export async function recordAudits(db: PlatformTx, events: readonly AuditEvent[]): Promise<void> {
  const columns = {
    tenant: 'text',
    actor: 'text',
    action: 'text',
    target: 'text',
    ip: 'text',
    details: 'jsonb',
  };
  await bulkInsert(db, 'audit_log', columns, events.map(auditRow));
}

/** The audit_log row of an event, for a statement that writes it along with the change. */
export function auditRow(event: AuditEvent) {
  return {
    tenant: event.tenant ?? null,
    actor: event.actor,
    action: event.action,
    target: event.target ?? null,
    ip: event.ip ?? null,
    details: JSON.stringify(event.details ?? {}),
  };
}

export interface AuditQuery {
  tenant?: string;
  actor?: string;
  action?: string;
  target?: string;
  from?: Date;
  to?: Date;
  limit?: number;
  offset?: number;
}

export async function queryAudit(db: PlatformTx, q: AuditQuery) {
  let query = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc');
  if (q.tenant) query = query.where('tenant', '=', q.tenant);
  if (q.actor) query = query.where('actor', '=', q.actor);
  if (q.action) query = query.where('action', 'like', `${q.action}%`);
  if (q.target) query = query.where('target', '=', q.target);
  if (q.from) query = query.where('at', '>=', q.from);
  if (q.to) query = query.where('at', '<', q.to);
  return query
    .limit(q.limit ?? 200)
    .offset(q.offset ?? 0)
    .execute();
}
