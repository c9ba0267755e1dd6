import type { FastifyInstance } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { platformView } from '../../platform/database/platform-schema.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { html } from '../../platform/views/html.ts';
import type { CloudServices } from '../services.ts';
import { currentCloudAccount } from '../session.ts';
import { sendCloudPage } from '../views.ts';

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
    let confirmed = { accountId: '', email: '' };
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
      confirmed = { accountId: claims.subject, email };
    });
    const signedIn = await currentCloudAccount(request);
    if (signedIn?.id === confirmed.accountId) {
      return reply.redirect('/account?notice=cloud.account.backup_verified', 303);
    }
    // Opened in a mail program or another browser: the answer is here, not behind a sign-in.
    const t = request.t;
    return sendCloudPage(request, reply, {
      title: t('cloud.account.backup_verified'),
      main: html`<h1>${t('cloud.account.backup_verified')}</h1>
<div class="success" role="status"><p>${t('cloud.account.backup_verified_for', { email: confirmed.email })}</p></div>
<p><a href="/login">${t('cloud.nav.login')}</a></p>`,
    });
  });
}
