import { recordAudit } from '../../platform/audit/audit-log.ts';
import type { Db } from '../provisioning/provision-account.ts';

/**
 * An education cloud username becomes an administrator of the portal, with its audit record;
 * false when it was one already (nothing written).
 */
export function addAdmin(db: Db, username: string, actor: string, ip: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const inserted = await tx
      .insertInto('workspace_admins')
      .values({ cloud_username: username })
      .onConflict((oc) => oc.column('cloud_username').doNothing())
      .returning('cloud_username')
      .executeTakeFirst();
    if (inserted) {
      await recordAudit(tx, { actor, action: 'workspace.admin.added', target: username, ip });
    }
    return Boolean(inserted);
  });
}
