import { sql } from 'kysely';
import { isUniqueViolation } from '../../platform/database/errors.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import {
  type Account,
  emailTaken,
  findAccountById,
  insertAccount,
  removeUnverifiedAccount,
  transitionAccount,
  usernameTaken,
} from '../accounts/repository.ts';
import { audit, auditAccount, job, type mail } from '../db.ts';
import { JOBS, LINKS } from '../links.ts';
import { mailAccount } from '../mail-text.ts';
import { requestReview } from '../review/decide.ts';
import type { County } from '../services.ts';
import type { Tenant, Unit } from '../tenants/tenants.ts';
import { formatMailTime } from '../views/page.ts';
import { registrationFlows, sweepFlows } from './flow.ts';
import type { FieldErrors } from './rules.ts';
import { REGISTRATION } from './transitions.ts';

export type SubmitResult =
  | { ok: true; account: Account; alreadySubmitted: boolean }
  | { ok: false; step: 'credentials' | 'email'; errors: FieldErrors };

/**
 * Step 4 done: creates the account (`pending_email`), marks the flow submitted and mails the
 * verification link, all in one transaction. Submitting twice returns the first account.
 */
export async function submitRegistration(
  county: County,
  tenant: Tenant,
  flowId: string,
  unit: Unit,
  ip: string,
): Promise<SubmitResult> {
  try {
    return await county.db.transaction().execute(async (tx) => {
      const flow = await tx
        .selectFrom('county_registration_flows')
        .selectAll()
        .where('id', '=', flowId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (flow.state === 'submitted' && flow.account_id) {
        const account = await findAccountById(tx, flow.tenant, flow.account_id);
        if (!account) throw new Error('the submitted application has no account');
        return { ok: true, account, alreadySubmitted: true };
      }
      if (
        !REGISTRATION.allows(flow.state, 'submit') ||
        !flow.username ||
        !flow.password_hash ||
        !flow.email ||
        !flow.terms_version
      ) {
        throw new AppError('county.flow_incomplete', 409);
      }
      if (await usernameTaken(tx, tenant.code, flow.username)) {
        return {
          ok: false,
          step: 'credentials',
          errors: { username: { key: 'register.error.username.taken' } },
        };
      }
      if (await emailTaken(tx, tenant.code, flow.email)) {
        return { ok: false, step: 'email', errors: { email: { key: 'register.error.email.taken' } } };
      }
      const account = await insertAccount(tx, {
        tenant: tenant.code,
        username: flow.username,
        passwordHash: flow.password_hash,
        email: flow.email,
        role: 'teacher',
        state: 'pending_email',
        unitCode: unit.code,
        termsVersion: flow.terms_version,
        termsAcceptedAt: flow.terms_accepted_at,
      });
      const submitted = await registrationFlows.take(tx, flow.id, 'submit', {
        unit_code: unit.code,
        account_id: account.id,
        password_hash: null,
        updated_at: sql`now()`,
      });
      if (!submitted) throw new AppError('county.flow_incomplete', 409);
      await auditAccount(tx, account, {
        actor: account.username,
        action: 'registration.submitted',
        ip,
        details: { unit: unit.code, terms_version: flow.terms_version },
      });
      await sendVerification(county, tx, tenant, account);
      return { ok: true, account, alreadySubmitted: false };
    });
  } catch (error) {
    // Another application took the username or email between the check and the insert.
    if (isUniqueViolation(error, 'county_accounts_username')) {
      return {
        ok: false,
        step: 'credentials',
        errors: { username: { key: 'register.error.username.taken' } },
      };
    }
    if (isUniqueViolation(error, 'county_accounts_email')) {
      return { ok: false, step: 'email', errors: { email: { key: 'register.error.email.taken' } } };
    }
    throw error;
  }
}

async function sendVerification(
  county: County,
  tx: Parameters<typeof mail>[0],
  tenant: Tenant,
  account: Account,
): Promise<void> {
  const token = await county.links.sign(
    { purpose: LINKS.verifyEmail.purpose, subject: account.id, data: { tenant: tenant.code } },
    LINKS.verifyEmail.ttlSeconds,
  );
  const expires = new Date(Date.now() + LINKS.verifyEmail.ttlSeconds * 1000);
  await mailAccount(tx, tenant, account, 'mail.verify', {
    link: `${county.tenantUrl(tenant.code)}/register/verify?token=${token}`,
    expires: formatMailTime(expires),
  });
  // An application whose email is never verified is removed when its link expires.
  await job(
    tx,
    JOBS.registrationExpire,
    { tenant: tenant.code, accountId: account.id },
    {
      runAt: new Date(expires.getTime() + 60_000),
      idempotencyKey: `county.registration.expire:${account.id}`,
    },
  );
}

/**
 * The applicant opened the verification link and confirmed: the email is verified, the account
 * waits for its unit's review, and the unit's official mailbox gets the review mail.
 */
export async function verifyEmail(
  county: County,
  tenant: Tenant,
  token: string,
  ip: string,
): Promise<Account> {
  return county.db.transaction().execute(async (tx) => {
    const claims = await county.links.consume(tx, token, LINKS.verifyEmail.purpose);
    if (claims.data?.tenant !== tenant.code) throw new AppError('link_invalid', 400);
    const account = await transitionAccount(tx, tenant.code, claims.subject, 'verifyEmail', {
      email_verified_at: new Date(),
      review_requested_at: new Date(),
    });
    if (!account) throw new AppError('county.application_gone', 410);
    await auditAccount(tx, account, {
      actor: account.username,
      action: 'registration.email_verified',
      ip,
      details: { unit: account.unit_code },
    });
    await requestReview(county, tx, tenant, account);
    return account;
  });
}

/** Job: an application whose email was not verified in time is removed (its username is free again). */
export async function expireRegistration(county: County, payload: Record<string, unknown>): Promise<void> {
  const tenant = String(payload.tenant);
  const accountId = String(payload.accountId);
  await county.db.transaction().execute(async (tx) => {
    const removed = await removeUnverifiedAccount(tx, tenant, accountId);
    await sweepFlows(tx);
    if (removed) {
      await tx.deleteFrom('county_registration_flows').where('account_id', '=', accountId).execute();
      await audit(tx, {
        tenant,
        actor: 'system',
        action: 'registration.expired',
        target: accountId,
        details: { username: removed.username },
      });
    }
  });
}
