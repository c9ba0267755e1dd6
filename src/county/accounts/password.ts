// Forgot password (never reveals whether an account exists) and change password.
import { createHash } from 'node:crypto';
import { OverloadedError, validatePassword } from '../../identity/index.ts';
import { AppError, overloaded, rateLimited } from '../../platform/errors/app-error.ts';
import { Throttle } from '../../platform/security/throttle.ts';
import { audit, auditAccount, type CountyTx, job, mail } from '../db.ts';
import { JOBS, LINKS } from '../links.ts';
import { revokeSessions } from '../login/session.ts';
import { mailAccount, mailMessage } from '../mail-text.ts';
import type { FieldErrors } from '../registration/rules.ts';
import type { County } from '../services.ts';
import { findTenant, type Tenant } from '../tenants/tenants.ts';
import { formatMailTime } from '../views/page.ts';
import type { Account } from './repository.ts';
import { findAccountByEmail, findAccountById, findAccountByUsername, setPasswordHash } from './repository.ts';

const RESET_REQUESTS_PER_HOUR = 5;

/** Binds a reset link to the current password: once the password changes, older links stop working. */
const fingerprint = (account: Account) =>
  createHash('sha256').update(account.password_hash).digest('base64url').slice(0, 16);

/** Forgotten-password requests per client address and hour (a school's whole staff fits). */
export const RESET_REQUESTS_PER_ADDRESS = { limit: 60, windowSeconds: 3600 };

/**
 * Takes a forgotten-password request: the same constant work whether or not the username or
 * email belongs to an account (a budget per client address, one queued job), so neither the answer
 * nor its timing tells. The job (`sendPasswordReset`) looks the account up and mails the link.
 */
export async function requestPasswordReset(
  county: County,
  tenant: Tenant,
  identifier: string,
  ip: string,
): Promise<void> {
  const id = identifier.trim().slice(0, 254);
  if (id === '') return;
  const wait = await new Throttle(county.ctx.throttleStore('county-reset'), RESET_REQUESTS_PER_ADDRESS).take([
    `ip:${ip}`,
  ]);
  if (wait > 0) throw rateLimited(wait);
  await job(county.db, JOBS.passwordReset, { tenant: tenant.code, identifier: id, ip });
}

/**
 * The job of a forgotten-password request: mails a reset link when the username or email belongs
 * to an active account; requests per account are capped so nobody can flood a mailbox.
 */
export async function sendPasswordReset(county: County, payload: Record<string, unknown>): Promise<void> {
  const tenant = await findTenant(county.db, String(payload.tenant));
  if (!tenant) return;
  const id = String(payload.identifier ?? '');
  const ip = String(payload.ip ?? '');
  const account = id.includes('@')
    ? await findAccountByEmail(county.db, tenant.code, id)
    : await findAccountByUsername(county.db, tenant.code, id);
  if (account?.state !== 'active') {
    await audit(county.db, { tenant: tenant.code, actor: 'anonymous', action: 'password.reset_unknown', ip });
    return;
  }
  const perAccount = new Throttle(county.ctx.throttleStore('county-reset'), {
    limit: RESET_REQUESTS_PER_HOUR,
    windowSeconds: 3600,
  });
  if ((await perAccount.take([account.id])) > 0) return;
  const token = await county.links.sign(
    {
      purpose: LINKS.resetPassword.purpose,
      subject: account.id,
      data: { tenant: tenant.code, fp: fingerprint(account) },
    },
    LINKS.resetPassword.ttlSeconds,
  );
  await county.db.transaction().execute(async (tx) => {
    await mailAccount(tx, tenant, account, 'mail.reset', {
      link: `${county.tenantUrl(tenant.code)}/reset?token=${token}`,
      expires: formatMailTime(new Date(Date.now() + LINKS.resetPassword.ttlSeconds * 1000)),
    });
    await auditAccount(tx, account, {
      actor: 'anonymous',
      action: 'password.reset_requested',
      ip,
    });
  });
}

/** The account a reset token is for, while the token is valid, unused and the password unchanged. */
export async function inspectResetToken(county: County, tenant: Tenant, token: string): Promise<Account> {
  const claims = await county.links.inspect(token, LINKS.resetPassword.purpose);
  if (claims.data?.tenant !== tenant.code) throw new AppError('link_invalid', 400);
  if (await county.links.isUsed(county.db, claims.jti)) throw new AppError('link_used', 410);
  const account = await findAccountById(county.db, tenant.code, claims.subject);
  if (account?.state !== 'active' || claims.data?.fp !== fingerprint(account)) {
    throw new AppError('link_used', 410);
  }
  return account;
}

export function newPasswordErrors(account: Account, password: string, confirmation: string): FieldErrors {
  const errors: FieldErrors = {};
  if (password === '') errors.password = { key: 'register.error.required' };
  const violations =
    password === ''
      ? []
      : validatePassword({ password, confirmation, username: account.username }).map((v) => v.code);
  const first = violations.find((c) => c !== 'password.mismatch');
  if (first) errors.password = { key: `register.error.${first}` };
  if (violations.includes('password.mismatch'))
    errors.password_confirm = { key: 'register.error.password.mismatch' };
  else if (confirmation === '') errors.password_confirm = { key: 'register.error.required' };
  return errors;
}

async function hashOrShed(county: County, password: string): Promise<string> {
  try {
    return await county.hasher.hash(password);
  } catch (error) {
    if (error instanceof OverloadedError) throw overloaded(error.retryAfterSeconds);
    throw error;
  }
}

/**
 * Whether `current` is the account's password, asked before a signed-in teacher changes their
 * password or email (a hasher at capacity answers 503 with Retry-After).
 */
export async function isCurrentPassword(county: County, account: Account, current: string): Promise<boolean> {
  try {
    return (await county.hasher.verify(account.password_hash, current)).ok;
  } catch (error) {
    if (error instanceof OverloadedError) throw overloaded(error.retryAfterSeconds);
    throw error;
  }
}

/** Sets the new password from a reset link; every session of the account ends. */
export async function resetPassword(
  county: County,
  tenant: Tenant,
  token: string,
  password: string,
  ip: string,
): Promise<Account> {
  const account = await inspectResetToken(county, tenant, token);
  const hash = await hashOrShed(county, password);
  await county.db.transaction().execute(async (tx) => {
    await county.links.consume(tx, token, LINKS.resetPassword.purpose);
    const current = await findAccountById(tx, tenant.code, account.id);
    if (!current || fingerprint(current) !== fingerprint(account)) throw new AppError('link_used', 410);
    await setPasswordHash(tx, account.id, hash);
    await revokeSessions(tx, account.id);
    await auditAccount(tx, account, {
      actor: account.username,
      action: 'password.reset',
      ip,
    });
    await mailAccount(tx, tenant, account, 'mail.password_changed', { at: formatMailTime(new Date()) });
  });
  // The OIDC sessions, grants and tokens of the account end too (its relying parties are told).
  await county.signOuts.account(tenant.code, account.id);
  return account;
}

export type ChangeResult = { ok: true } | { ok: false; errors: FieldErrors };

/** Changes the password after checking the current one; the other sessions end. */
export async function changePassword(
  county: County,
  tenant: Tenant,
  account: Account,
  input: {
    current: string;
    password: string;
    confirmation: string;
    sessionId: string | undefined;
    ip: string;
  },
): Promise<ChangeResult> {
  const errors = newPasswordErrors(account, input.password, input.confirmation);
  if (input.current === '') errors.current_password = { key: 'register.error.required' };
  else if (input.password !== '' && input.password === input.current && !errors.password) {
    errors.password = { key: 'account.error.password_unchanged' };
  }
  if (input.current !== '' && !(await isCurrentPassword(county, account, input.current))) {
    errors.current_password = { key: 'account.error.current_password' };
    await auditAccount(county.db, account, {
      actor: account.username,
      action: 'password.change_failed',
      ip: input.ip,
    });
  }
  if (Object.values(errors).some(Boolean)) return { ok: false, errors };
  const hash = await hashOrShed(county, input.password);
  await county.db.transaction().execute(async (tx) => {
    await setPasswordHash(tx, account.id, hash);
    await revokeSessions(tx, account.id, input.sessionId);
    await auditAccount(tx, account, {
      actor: account.username,
      action: 'password.changed',
      ip: input.ip,
    });
    await mailAccount(tx, tenant, account, 'mail.password_changed', { at: formatMailTime(new Date()) });
  });
  // Every OIDC session, grant and token of the account ends (its relying parties are told); this
  // browser's portal session stays and signs the provider in again without a password.
  await county.signOuts.account(tenant.code, account.id);
  return { ok: true };
}

const SET_PASSWORD_TTL_SECONDS = 7 * 86400;

/**
 * A new account created by an administrator chooses its password through a mailed link (7 days,
 * the reset link of `/reset`); returns when the link expires.
 */
export async function sendSetPasswordLink(
  county: County,
  tx: CountyTx,
  tenant: Tenant,
  account: Account,
): Promise<Date> {
  const expires = new Date(Date.now() + SET_PASSWORD_TTL_SECONDS * 1000);
  const token = await county.links.sign(
    {
      purpose: LINKS.resetPassword.purpose,
      subject: account.id,
      data: { tenant: tenant.code, fp: fingerprint(account) },
    },
    SET_PASSWORD_TTL_SECONDS,
  );
  await mail(tx, {
    to: account.email,
    ...mailMessage(account.role === 'county_admin' ? 'mail.set_password_admin' : 'mail.set_password', {
      portal: tenant.portal_name,
      username: account.username,
      link: `${county.tenantUrl(tenant.code)}/reset?token=${token}`,
      expires: formatMailTime(expires),
      manage: `${county.tenantUrl(tenant.code)}/manage`,
    }),
  });
  return expires;
}
