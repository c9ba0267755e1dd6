import { recordAudit } from '../../platform/audit/audit-log.ts';
import type { CloudTx } from '../db.ts';

/**
 * What a person did to their own cloud account (its password, county identities, signed-in
 * browsers, backup email), in the audit log: done by the account, to the account.
 */
export function auditOwnAct(
  db: CloudTx,
  account: { id: string; name: string },
  action: string,
  ip: string,
  details?: Record<string, unknown>,
): Promise<void> {
  return recordAudit(db, {
    actor: account.name,
    action,
    target: account.id,
    ip,
    ...(details && { details }),
  });
}
