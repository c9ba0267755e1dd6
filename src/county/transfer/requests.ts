// A teacher's request to change service unit (變更服務單位), decided by the receiving unit: through
// the signed one-time approve / reject links mailed to its official mailbox (14 days, reminder after
// 3), or by its reviewers in the review console. Its states: `TRANSFER` in transitions.ts.

import { randomUUID } from 'node:crypto';
import { AppError } from '../../platform/errors/app-error.ts';
import { type Account, findAccountById, moveToUnit } from '../accounts/repository.ts';
import { auditAccount, type CountyTx, mail } from '../db.ts';
import { JOBS, LINKS } from '../links.ts';
import { mailMessage } from '../mail-text.ts';
import { type Decision, type DecisionKind, REASON_MAX } from '../review/decision-link.ts';
import {
  type DecisionMail,
  mailDecisionLinks,
  scheduleReminder,
  sendReminder,
} from '../review/decision-mail.ts';
import type { County } from '../services.ts';
import { findTenant, findUnit, type Tenant, type Unit } from '../tenants/tenants.ts';
import { formatMailTime, formatTime } from '../views/page.ts';
import { findTransfer, type TransferRequest, transferRequests } from './repository.ts';
import { TRANSFER } from './transitions.ts';

export async function requestTransfer(
  county: County,
  tenant: Tenant,
  account: Account,
  toUnitCode: string,
  ip: string,
): Promise<TransferRequest> {
  return county.db.transaction().execute(async (tx) => {
    const unit = await findUnit(tx, tenant.code, toUnitCode);
    if (!unit?.active) throw new AppError('county.unit_unknown', 400);
    if (unit.code === account.unit_code) throw new AppError('county.transfer_same_unit', 400);
    // A new request replaces an open one.
    await transferRequests.takeWhere(tx, { account_id: account.id }, 'replace', {
      decided_by: account.username,
      decided_at: new Date(),
    });
    const request = await tx
      .insertInto('county_transfer_requests')
      .values({
        id: randomUUID(),
        tenant: tenant.code,
        account_id: account.id,
        from_unit: account.unit_code,
        to_unit: unit.code,
        state: 'pending',
        reason: null,
        decided_by: null,
        decided_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await auditAccount(tx, account, {
      actor: account.username,
      action: 'transfer.requested',
      ip,
      details: { from: account.unit_code, to: unit.code, unit: unit.code },
    });
    await mailDecisionLinks(
      county,
      tx,
      await transferMail(tx, tenant, request, unit, account, 'mail.transfer'),
    );
    await scheduleReminder(tx, JOBS.transferReminder, request.id, {
      tenant: tenant.code,
      requestId: request.id,
    });
    return request;
  });
}

/** The mail that asks the receiving unit to decide a request (`mail.transfer`, or its reminder). */
async function transferMail(
  tx: CountyTx,
  tenant: Tenant,
  request: TransferRequest,
  unit: Unit,
  account: Pick<Account, 'username' | 'real_name'>,
  message: string,
): Promise<DecisionMail> {
  const from = request.from_unit ? await findUnit(tx, tenant.code, request.from_unit) : undefined;
  return {
    kind: transferDecision,
    tenant,
    unit,
    subject: request.id,
    requestedAt: request.created_at,
    message,
    vars: {
      from: from?.name ?? request.from_unit ?? '-',
      username: account.username,
      name: account.real_name ?? '',
      applied: formatMailTime(request.created_at),
    },
  };
}

/** Job: the request still waits after 3 days; remind the receiving unit with fresh links (same deadline). */
export async function remindTransfer(county: County, payload: Record<string, unknown>): Promise<void> {
  await county.db.transaction().execute(async (tx) => {
    const tenant = await findTenant(tx, String(payload.tenant));
    const request = tenant ? await findTransfer(tx, tenant.code, String(payload.requestId)) : undefined;
    if (!tenant || request?.state !== 'pending') return;
    const unit = await findUnit(tx, tenant.code, request.to_unit);
    if (!unit) return;
    const account = await transferredAccount(tx, tenant.code, request);
    await sendReminder(county, tx, {
      ...(await transferMail(tx, tenant, request, unit, account, 'mail.transfer_reminder')),
      action: 'transfer.reminded',
      target: request.account_id,
    });
  });
}

export async function cancelTransfer(county: County, account: Account, ip: string): Promise<void> {
  await county.db.transaction().execute(async (tx) => {
    const [withdrawn] = await transferRequests.takeWhere(tx, { account_id: account.id }, 'withdraw', {
      decided_by: account.username,
      decided_at: new Date(),
    });
    if (withdrawn)
      await auditAccount(tx, account, {
        actor: account.username,
        action: 'transfer.cancelled',
        ip,
      });
  });
}

/** The account a transfer request moves (its foreign key keeps the account while a request names it). */
async function transferredAccount(db: CountyTx, tenant: string, request: TransferRequest): Promise<Account> {
  const account = await findAccountById(db, tenant, request.account_id);
  if (!account) throw new Error(`the account of transfer request ${request.id} is gone`);
  return account;
}

/** A request that can no longer be decided says why: decided before, or withdrawn / superseded. */
function ensureDecidable(request: TransferRequest, decision: Decision): void {
  if (TRANSFER.allows(request.state, decision)) return;
  throw new AppError(
    request.state === 'cancelled' ? 'county.transfer_cancelled' : 'county.already_decided',
    409,
  );
}

/** The mailed links of a transfer request, at `/review/transfers/decide`. */
export const transferDecision: DecisionKind = {
  link: LINKS.transfer,
  path: '/review/transfers/decide',
  text: {
    title: 'review.transfer.title',
    confirm: 'review.transfer.confirm',
    approved: 'review.transfer.approved',
    rejected: 'review.transfer.rejected',
  },
  async pending(db, tenant, subject) {
    const request = await findTransfer(db, tenant.code, subject);
    if (!request) throw new AppError('not_found', 404);
    ensureDecidable(request, 'approve');
    const [account, from, to] = await Promise.all([
      transferredAccount(db, tenant.code, request),
      request.from_unit ? findUnit(db, tenant.code, request.from_unit) : undefined,
      findUnit(db, tenant.code, request.to_unit),
    ]);
    return {
      facts: [
        ['register.username', account.username],
        ['profile.real_name', account.real_name ?? ''],
        ['register.email', account.email],
        ['review.transfer.from', from?.name ?? request.from_unit ?? '-'],
        ['review.transfer.to', to?.name ?? request.to_unit],
        ['review.applied', formatTime(request.created_at)],
      ],
      vars: { username: account.username, name: account.real_name ?? account.username },
    };
  },
  decidingUnit: async (db, tenant, subject) => (await findTransfer(db, tenant.code, subject))?.to_unit,
  async decide(county, tx, { subject, ...input }) {
    const decided = await decideTransfer(county, tx, { ...input, requestId: subject });
    return { username: decided.username };
  },
};

/**
 * The receiving unit decides (a mailed link or the console); approval moves the account and
 * confirms its unit, and the teacher is told either way. Throws `county.already_decided` when it
 * was decided before, `county.transfer_cancelled` when withdrawn or superseded.
 */
export async function decideTransfer(
  _county: County,
  tx: CountyTx,
  input: {
    tenant: Tenant;
    requestId: string;
    decision: Decision;
    /** Required for a rejection; the teacher receives it. */
    reason: string;
    /** Who decided: a reviewer's username, or `mailbox:<address>` for a mailed link. */
    actor: string;
    ip: string;
    via: 'link' | 'console';
    /** Console: the reviewer's unit (undefined for a county administrator). */
    unitCode?: string | undefined;
  },
): Promise<TransferRequest & { username: string }> {
  const request = await findTransfer(tx, input.tenant.code, input.requestId);
  if (!request) throw new AppError('not_found', 404);
  if (input.unitCode !== undefined && request.to_unit !== input.unitCode)
    throw new AppError('forbidden', 403);
  ensureDecidable(request, input.decision);
  const reason = input.reason.trim();
  if (input.decision === 'reject' && (reason === '' || reason.length > REASON_MAX)) {
    throw new AppError('county.reason_required', 400);
  }
  const decided = await transferRequests.take(tx, request.id, input.decision, {
    decided_by: input.actor,
    decided_at: new Date(),
    reason: input.decision === 'reject' ? reason : null,
  });
  if (!decided) throw new AppError('county.already_decided', 409);
  const account = await transferredAccount(tx, input.tenant.code, request);
  if (input.decision === 'approve') await moveToUnit(tx, account.id, request.to_unit);
  await auditAccount(tx, account, {
    actor: input.actor,
    action: input.decision === 'approve' ? 'transfer.approved' : 'transfer.rejected',
    ip: input.ip,
    details: {
      from: request.from_unit,
      to: request.to_unit,
      unit: request.to_unit,
      via: input.via,
      ...(input.decision === 'reject' ? { reason } : {}),
    },
  });
  const unit = await findUnit(tx, input.tenant.code, request.to_unit);
  await mail(tx, {
    to: account.email,
    ...mailMessage(input.decision === 'approve' ? 'mail.transfer_approved' : 'mail.transfer_rejected', {
      portal: input.tenant.portal_name,
      username: account.username,
      unit: unit?.name ?? request.to_unit,
      reason,
    }),
  });
  return { ...decided, username: account.username };
}
