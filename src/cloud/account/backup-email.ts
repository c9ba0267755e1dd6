import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { queueMail } from '../../platform/mail/outbox.ts';
import { html } from '../../platform/views/html.ts';
import type { CloudTx } from '../db.ts';
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

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * What is wrong with a backup address typed twice (already trimmed and lower-cased): none when it
 * can be used. An address of the cloud's own mail domain cannot back up the account it belongs to.
 */
export function backupEmailProblems(email: string, confirmation: string, cloudMailDomain: string): string[] {
  if (!EMAIL.test(email) || email.length > 254) return ['email.invalid'];
  if (email !== confirmation) return ['email.mismatch'];
  if (email.endsWith(`@${cloudMailDomain.toLowerCase()}`)) return ['email.own_domain'];
  return [];
}

/** Queues the mail that confirms a backup email, in the transaction that stored it. */
export async function queueBackupEmailMail(
  services: CloudServices,
  request: FastifyRequest,
  tx: CloudTx,
  account: { id: string; name: string },
  address: string,
): Promise<void> {
  const link = await backupEmailLink(services, account.id, address);
  await queueMail(tx, {
    to: address,
    subject: request.t('cloud.verify.mail_subject'),
    text: request.t('cloud.verify.mail_body', { address, email: services.emailOf(account), link }),
  });
}

export function backupEmailRoutes(app: FastifyInstance): void {
  const { cloud } = app;
  app.get('/account/backup-email/verify', async (request, reply) => {
    const token = (request.query as Record<string, unknown>).token;
    if (typeof token !== 'string') throw new AppError('link_invalid', 400);
    let confirmed = { accountId: '', email: '' };
    await cloud.db.transaction().execute(async (tx) => {
      const claims = await cloud.links.consume(tx, token, BACKUP_EMAIL_PURPOSE);
      const email = String(claims.data?.email ?? '');
      if (!(await cloud.accounts.confirmBackupEmail(claims.subject, email, tx))) {
        throw new AppError('link_invalid', 400);
      }
      await recordAudit(tx, {
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
