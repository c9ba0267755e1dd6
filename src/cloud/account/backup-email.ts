import type { FastifyInstance } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { platformView } from '../../platform/database/platform-schema.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import type { CloudServices } from '../services.ts';

export const BACKUP_EMAIL_PURPOSE = 'cloud.backup-email';
const LINK_TTL_SECONDS = 3 * 24 * 3600;

/** The one-time link that confirms `address` as the account's backup email. */
export async function backupEmailLink(
  services: CloudServices,
  accountId: string,
  address: string,
): Promise<string> {
  const token = await services.links.sign(
    { purpose: BACKUP_EMAIL_PURPOSE, subject: accountId, data: { email: address } },
    LINK_TTL_SECONDS,
  );
  return `${services.ctx.urls.cloud}/account/backup-email/verify?token=${encodeURIComponent(token)}`;
}

export function backupEmailRoutes(app: FastifyInstance): void {
  const { cloud } = app;
  app.get('/account/backup-email/verify', async (request, reply) => {
    const token = (request.query as Record<string, unknown>).token;
    if (typeof token !== 'string') throw new AppError('link_invalid', 400);
    await cloud.db.transaction().execute(async (tx) => {
      const claims = await cloud.links.consume(platformView(tx), token, BACKUP_EMAIL_PURPOSE);
      const email = String(claims.data?.email ?? '');
      if (!(await cloud.accounts.confirmBackupEmail(claims.subject, email, tx))) {
        throw new AppError('link_invalid', 400);
      }
      await recordAudit(platformView(tx), {
        actor: claims.subject,
        action: 'account.backup_email_verified',
        target: claims.subject,
        ip: request.ip,
      });
    });
    return reply.redirect('/account?notice=cloud.account.backup_verified', 303);
  });
}
