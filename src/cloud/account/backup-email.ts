import type { FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { queueMail } from '../../platform/mail/outbox.ts';
import type { CloudTx } from '../db.ts';
import type { CloudServices } from '../services.ts';
import type { CloudAccount } from './accounts.ts';
import { auditOwnAct } from './audit.ts';

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

/**
 * A new backup email typed twice on the account page: stored as pending with its confirmation mail,
 * in one transaction. Returns the problems of the address (none when it was stored).
 */
export async function requestBackupEmail(
  cloud: CloudServices,
  request: FastifyRequest,
  account: CloudAccount,
  input: { email: string; confirmation: string },
): Promise<string[]> {
  const problems = backupEmailProblems(input.email, input.confirmation, cloud.ctx.config.cloudMailDomain);
  if (problems.length > 0) return problems;
  await cloud.db.transaction().execute(async (tx) => {
    await cloud.accounts.setPendingBackupEmail(account.id, input.email, tx);
    await queueBackupEmailMail(cloud, request, tx, account, input.email);
  });
  return [];
}

/** The confirmation link used: the address it was sent to becomes the backup email (`link_invalid` otherwise). */
export async function confirmBackupEmail(
  cloud: CloudServices,
  token: string,
  ip: string,
): Promise<{ accountId: string; email: string }> {
  return cloud.db.transaction().execute(async (tx) => {
    const claims = await cloud.links.consume(tx, token, BACKUP_EMAIL_PURPOSE);
    const email = String(claims.data?.email ?? '');
    if (!(await cloud.accounts.confirmBackupEmail(claims.subject, email, tx))) {
      throw new AppError('link_invalid', 400);
    }
    // The link names the account by its id, which stands for it in the record.
    await auditOwnAct(tx, { id: claims.subject, name: claims.subject }, 'account.backup_email_verified', ip);
    return { accountId: claims.subject, email };
  });
}
