// Forgot password (忘記密碼): a one-time link to the account's confirmed backup email, then a new
// password that ends every sign-in of the account.
import { validatePassword } from '../../identity/index.ts';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { AppError, rateLimited } from '../../platform/errors/app-error.ts';
import { I18n } from '../../platform/i18n/i18n.ts';
import { platformMessages } from '../../platform/i18n/platform-messages.ts';
import { enqueueJob } from '../../platform/jobs/queue.ts';
import { queueMail } from '../../platform/mail/outbox.ts';
import { Throttle } from '../../platform/security/throttle.ts';
import { cloudMessages } from '../messages.ts';
import type { CloudServices } from '../services.ts';
import type { CloudAccount } from './accounts.ts';
import { auditOwnAct } from './audit.ts';
import { hashPassword } from './password-check.ts';
import { revokeEverywhere } from './sign-out.ts';

const RESET_PURPOSE = 'cloud.password-reset';
const RESET_TTL_SECONDS = 30 * 60;

/** The job of a forgotten-password request (see `sendPasswordReset`). */
export const FORGOT_JOB = 'cloud.password.forgot';
/** Reset mails per account and hour: nobody can flood a backup mailbox. */
const RESET_MAILS_PER_ACCOUNT = { limit: 5, windowSeconds: 3600 };

const translations = new I18n(platformMessages, cloudMessages);

/**
 * A forgotten-password request: the same constant work whether or not the account exists or has a
 * backup email, a budget per client address and one queued job (which looks the account up and
 * mails the link).
 */
export async function requestPasswordReset(
  cloud: CloudServices,
  input: { name: string; ip: string; locale: string },
): Promise<void> {
  const wait = await cloud.addressThrottle.forgot.take([`ip:${input.ip}`]);
  if (wait > 0) throw rateLimited(wait);
  if (input.name) await enqueueJob(cloud.db, FORGOT_JOB, input);
}

/**
 * Mails a one-time reset link to the confirmed backup email of an active account named in a
 * forgotten-password request; does nothing (but audit) for other names.
 */
export async function sendPasswordReset(
  cloud: CloudServices,
  payload: Record<string, unknown>,
): Promise<void> {
  const name = String(payload.name ?? '');
  const ip = String(payload.ip ?? '');
  const t = translations.translator(payload.locale === 'en' ? 'en' : 'zh-TW');
  const account = name ? await cloud.accounts.byName(name) : undefined;
  if (!account?.backupEmail || account.state !== 'active') {
    await recordAudit(cloud.db, { actor: 'anonymous', action: 'password.reset_unknown', ip });
    return;
  }
  const perAccount = new Throttle(cloud.ctx.throttleStore('cloud-forgot'), RESET_MAILS_PER_ACCOUNT);
  if ((await perAccount.take([`name:${account.name}`])) > 0) return;
  const backupEmail = account.backupEmail;
  const token = await cloud.links.sign({ purpose: RESET_PURPOSE, subject: account.id }, RESET_TTL_SECONDS);
  const link = `${cloud.ctx.urls.cloud}/password/reset?token=${encodeURIComponent(token)}`;
  await cloud.db.transaction().execute(async (tx) => {
    await queueMail(tx, {
      to: backupEmail,
      subject: t('cloud.forgot.mail_subject'),
      text: t('cloud.forgot.mail_body', { email: cloud.emailOf(account), link }),
    });
    await auditOwnAct(tx, account, 'password.reset_requested', ip);
  });
}

/** The reset link, unless it is invalid, expired (`link_invalid`, …) or used (`link_used`). */
export async function checkResetLink(cloud: CloudServices, token: string): Promise<void> {
  const claims = await cloud.links.inspect(token, RESET_PURPOSE);
  if (await cloud.links.isUsed(cloud.db, claims.jti)) throw new AppError('link_used', 410);
}

/**
 * The new password of the reset link: in one transaction the link is spent, the password set and
 * audited; then every browser session, OIDC session, grant and token of the account ends. Returns
 * the problems of the password, or the account.
 */
export async function resetPassword(
  cloud: CloudServices,
  token: string,
  input: { password: string; confirmation: string },
  ip: string,
): Promise<{ problems: string[] } | { account: CloudAccount }> {
  const claims = await cloud.links.inspect(token, RESET_PURPOSE);
  const account = await cloud.accounts.byId(claims.subject);
  if (!account) throw new AppError('link_invalid', 400);
  const problems = validatePassword({ ...input, username: account.name }).map((v) => v.code);
  if (problems.length > 0) return { problems };
  const hash = await hashPassword(cloud, input.password);
  await cloud.db.transaction().execute(async (tx) => {
    await cloud.links.consume(tx, token, RESET_PURPOSE);
    await cloud.accounts.setPasswordHash(account.id, hash, tx);
    await auditOwnAct(tx, account, 'password.reset', ip);
  });
  await revokeEverywhere(cloud, account.id);
  return { account };
}
