// School review (學校審核) of an application: the unit's official mailbox gets signed one-time
// approve / reject links (14 days, reminder after 3), and its reviewers can decide in the console.
import { AppError } from '../../platform/errors/app-error.ts';
import type { Account } from '../accounts/repository.ts';
import { findAccountById, transitionAccount } from '../accounts/repository.ts';
import { ACCOUNT_LIFECYCLE } from '../accounts/transitions.ts';
import { audit, type CountyTx, mail } from '../db.ts';
import { JOBS, LINKS } from '../links.ts';
import { mailMessage } from '../mail-text.ts';
import type { County } from '../services.ts';
import { findTenant, findUnit, type Tenant, type Unit } from '../tenants/tenants.ts';
import { formatMailTime, formatTime } from '../views/page.ts';
import { type Decision, type DecisionKind, REASON_MAX } from './decision-link.ts';
import { type DecisionMail, mailDecisionLinks, scheduleReminder, sendReminder } from './decision-mail.ts';

/** The mailed links of an application, at `/review/decide`. */
export const applicationDecision: DecisionKind = {
  link: LINKS.review,
  path: '/review/decide',
  text: {
    title: 'review.decide.title',
    confirm: 'review.decide.approve.confirm',
    approved: 'review.done.approved',
    rejected: 'review.done.rejected',
  },
  async pending(db, tenant, subject) {
    const account = await findAccountById(db, tenant.code, subject);
    if (!account) throw new AppError('county.application_gone', 410);
    if (!ACCOUNT_LIFECYCLE.allows(account.state, 'approve'))
      throw new AppError('county.already_decided', 409);
    const unit = account.unit_code ? await findUnit(db, tenant.code, account.unit_code) : undefined;
    return {
      facts: [
        ['register.username', account.username],
        ['register.email', account.email],
        ['review.unit', unit?.name ?? ''],
        ['review.applied', formatTime(account.review_requested_at)],
      ],
      vars: { username: account.username },
    };
  },
  decidingUnit: async (db, tenant, subject) => (await findAccountById(db, tenant.code, subject))?.unit_code,
  async decide(county, tx, { subject, ...input }) {
    const account = await decideApplication(county, tx, { ...input, accountId: subject });
    return { username: account.username };
  },
};

/** The mail that asks the unit to review an application (`mail.review`, or its reminder). */
function reviewMail(tenant: Tenant, unit: Unit, account: Account, message: string): DecisionMail {
  const requestedAt = account.review_requested_at ?? new Date();
  return {
    kind: applicationDecision,
    tenant,
    unit,
    subject: account.id,
    requestedAt,
    message,
    vars: { username: account.username, email: account.email, applied: formatMailTime(requestedAt) },
  };
}

/** Mails the review request to the unit's official mailbox and schedules the reminder. */
export async function requestReview(
  county: County,
  tx: CountyTx,
  tenant: Tenant,
  account: Account,
): Promise<void> {
  const unit = account.unit_code ? await findUnit(tx, tenant.code, account.unit_code) : undefined;
  if (!unit) throw new AppError('county.unit_unknown', 409);
  await mailDecisionLinks(county, tx, reviewMail(tenant, unit, account, 'mail.review'));
  await scheduleReminder(tx, JOBS.reviewReminder, account.id, { tenant: tenant.code, accountId: account.id });
}

/** Job: the application still waits after 3 days; remind the unit with fresh links (same deadline). */
export async function remindReview(county: County, payload: Record<string, unknown>): Promise<void> {
  await county.db.transaction().execute(async (tx) => {
    const tenant = await findTenant(tx, String(payload.tenant));
    const account = tenant ? await findAccountById(tx, tenant.code, String(payload.accountId)) : undefined;
    if (!tenant || !account?.review_requested_at || !ACCOUNT_LIFECYCLE.allows(account.state, 'approve'))
      return;
    const unit = account.unit_code ? await findUnit(tx, tenant.code, account.unit_code) : undefined;
    if (!unit) return;
    await sendReminder(county, tx, {
      ...reviewMail(tenant, unit, account, 'mail.review_reminder'),
      action: 'review.reminded',
      target: account.id,
    });
  });
}

export interface DecisionInput {
  tenant: Tenant;
  accountId: string;
  decision: Decision;
  reason: string;
  /** Who decided: a reviewer's username, or `mailbox:<address>` for a mailed link. */
  actor: string;
  ip: string;
  via: 'link' | 'console';
  /** Console: the reviewer's unit (undefined for a county administrator). */
  unitCode?: string | undefined;
}

/**
 * Approves or rejects an application waiting for review, and tells the applicant. Throws
 * `county.already_decided` when it was decided before (by a link or in the console).
 */
export async function decideApplication(
  county: County,
  tx: CountyTx,
  input: DecisionInput,
): Promise<Account> {
  const { tenant, decision } = input;
  const current = await findAccountById(tx, tenant.code, input.accountId);
  if (!current) throw new AppError('not_found', 404);
  if (input.unitCode !== undefined && current.unit_code !== input.unitCode)
    throw new AppError('forbidden', 403);
  const reason = input.reason.trim();
  if (decision === 'reject' && (reason === '' || reason.length > REASON_MAX)) {
    throw new AppError('county.reason_required', 400);
  }
  const account = await transitionAccount(tx, tenant.code, input.accountId, decision, {
    reviewed_at: new Date(),
    reviewed_by: input.actor,
    state_reason: decision === 'reject' ? reason : null,
  });
  if (!account) throw new AppError('county.already_decided', 409);
  const unit = account.unit_code ? await findUnit(tx, tenant.code, account.unit_code) : undefined;
  await audit(tx, {
    tenant: tenant.code,
    actor: input.actor,
    action: decision === 'approve' ? 'review.approved' : 'review.rejected',
    target: account.id,
    ip: input.ip,
    details: { unit: account.unit_code, via: input.via, ...(decision === 'reject' ? { reason } : {}) },
  });
  await mail(tx, {
    to: account.email,
    ...mailMessage(decision === 'approve' ? 'mail.approved' : 'mail.rejected', {
      portal: tenant.portal_name,
      username: account.username,
      unit: unit?.name ?? '',
      reason,
      login: `${county.tenantUrl(tenant.code)}/login`,
      register: `${county.tenantUrl(tenant.code)}/register`,
    }),
  });
  return account;
}
