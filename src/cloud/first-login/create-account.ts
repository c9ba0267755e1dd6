import type { FastifyRequest } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import type { CloudAccount } from '../account/accounts.ts';
import { queueBackupEmailMail } from '../account/backup-email.ts';
import type { CloudServices } from '../services.ts';
import type { LoginFlow } from './flows.ts';

export type CreatedAccount = { ok: true; account: CloudAccount } | { ok: false; reason: 'name_taken' };

/**
 * 「同意」 on the consent screen: in one transaction, creates the cloud account the flow chose
 * (name, password, pending backup email), links the county identity to it, ends the flow and
 * queues the backup email's confirmation. When someone took the name meanwhile the flow goes back
 * to choosing one.
 */
export async function createCloudAccount(
  cloud: CloudServices,
  request: FastifyRequest,
  flow: LoginFlow & { chosenName: string; passwordHash: string },
): Promise<CreatedAccount> {
  try {
    const account = await cloud.db.transaction().execute(async (tx) => {
      const created = await cloud.accounts.create(
        {
          name: flow.chosenName,
          displayName: flow.snapshot.name ?? flow.chosenName,
          familyName: flow.snapshot.familyName,
          givenName: flow.snapshot.givenName,
          passwordHash: flow.passwordHash,
          pendingBackupEmail: flow.backupEmail,
          guidHash: flow.guidHash,
          openid2Ids: flow.snapshot.openid2Id ? [flow.snapshot.openid2Id] : [],
        },
        tx,
      );
      await cloud.accounts.link(
        created.id,
        { countyCode: flow.countyCode, issuer: flow.issuer, subject: flow.subject, snapshot: flow.snapshot },
        tx,
      );
      if (!(await cloud.flows.take(flow.id, 'accept', { accountId: created.id }, tx))) {
        throw new AppError('cloud.flow_expired', 410);
      }
      if (flow.backupEmail) await queueBackupEmailMail(cloud, request, tx, created, flow.backupEmail);
      await recordAudit(tx, {
        actor: created.name,
        action: 'account.created',
        target: created.id,
        ip: request.ip,
        details: { county: flow.countyCode },
      });
      return created;
    });
    return { ok: true, account };
  } catch (error) {
    if (!(error instanceof AppError && error.code === 'cloud.name_taken')) throw error;
    await cloud.flows.take(flow.id, 'nameTaken');
    return { ok: false, reason: 'name_taken' };
  }
}
