import { recordAudit } from '../../platform/audit/audit-log.ts';
import type { CloudServices } from '../services.ts';
import type { CloudAccount } from './accounts.ts';
import { auditOwnAct } from './audit.ts';

/** The account page's steps, each with its audit record (password: change-password.ts; backup email: backup-email.ts). */

/** 解除連結: a county identity no longer signs in to the account (never its last way in). */
export async function unlinkIdentity(
  cloud: CloudServices,
  account: CloudAccount,
  identityId: string,
  ip: string,
): Promise<void> {
  await cloud.db.transaction().execute(async (tx) => {
    await cloud.accounts.unlink(account.id, identityId, tx);
    await auditOwnAct(tx, account, 'identity.unlinked', ip);
  });
}

/** 撤銷授權: an application's grants and tokens for the account end. */
export async function revokeApplication(
  cloud: CloudServices,
  account: CloudAccount,
  clientId: string,
  ip: string,
): Promise<void> {
  if (!cloud.grants || !clientId) return;
  await cloud.grants.revoke(account.id, clientId);
  await recordAudit(cloud.db, {
    actor: account.name,
    action: 'consent.revoked',
    target: clientId,
    ip,
  });
}
