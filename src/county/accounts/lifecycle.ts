// Account lifecycle actions of county administrators: suspend / reactivate (with a reason and a
// notice to the unit), depart (left the county, retired), transfer between units. The states an
// account moves through: `ACCOUNT_LIFECYCLE` in transitions.ts.
import { AppError } from '../../platform/errors/app-error.ts';
import { audit, type CountyTx, mail } from '../db.ts';
import { revokeSessions } from '../login/session.ts';
import { mailMessage } from '../mail-text.ts';
import { emitAccountState } from '../security-events/emit.ts';
import type { County } from '../services.ts';
import { findUnit, type Tenant } from '../tenants/tenants.ts';
import { transferRequests } from '../transfer/repository.ts';
import {
  type Account,
  type AccountChange,
  accountFromRow,
  findAccountById,
  transitionAccount,
} from './repository.ts';

export const LIFECYCLE_REASON_MAX = 500;

export interface LifecycleInput {
  tenant: Tenant;
  accountId: string;
  reason: string;
  actor: string;
  ip: string | null;
}

function checkReason(reason: string): string {
  const text = reason.trim();
  if (text === '' || text.length > LIFECYCLE_REASON_MAX) throw new AppError('county.reason_required', 400);
  return text;
}

async function noticeToUnit(
  _county: County,
  tx: CountyTx,
  tenant: Tenant,
  account: Account,
  key: string,
  reason: string,
) {
  const unit = account.unit_code ? await findUnit(tx, tenant.code, account.unit_code) : undefined;
  if (!unit) return;
  await mail(tx, {
    to: unit.mailbox,
    ...mailMessage(key, {
      portal: tenant.portal_name,
      unit: unit.name,
      username: account.username,
      name: account.real_name ?? '',
      reason,
    }),
  });
}

/** A county administrator's event on an account, and the audit action that records it. */
interface Move {
  event: 'suspend' | 'reactivate' | 'depart';
  action: string;
}

/** Takes the administrator's event on the account, with its audit record. */
async function change(
  county: County,
  tx: CountyTx,
  input: LifecycleInput,
  { event, action }: Move,
  extra: AccountChange = {},
): Promise<Account> {
  const reason = checkReason(input.reason);
  const before = await findAccountById(tx, input.tenant.code, input.accountId);
  if (!before) throw new AppError('not_found', 404);
  const account = await transitionAccount(tx, input.tenant.code, input.accountId, event, {
    state_reason: reason,
    ...extra,
  });
  if (!account) throw new AppError('county.status_conflict', 409, { status: before.state });
  if (account.state !== 'active') await revokeSessions(tx, account.id);
  if (account.state === 'active' || account.state === 'suspended' || account.state === 'departed') {
    await emitAccountState(county, tx, input.tenant.code, account.id, account.state);
  }
  await audit(tx, {
    tenant: input.tenant.code,
    actor: input.actor,
    action,
    target: account.id,
    ip: input.ip,
    details: { unit: account.unit_code, from: before.state, reason },
  });
  return account;
}

export async function suspendAccount(county: County, tx: CountyTx, input: LifecycleInput): Promise<Account> {
  const account = await change(county, tx, input, { event: 'suspend', action: 'account.suspended' });
  await noticeToUnit(county, tx, input.tenant, account, 'mail.suspended', input.reason.trim());
  return account;
}

export async function reactivateAccount(
  county: County,
  tx: CountyTx,
  input: LifecycleInput,
): Promise<Account> {
  // Undoing a campaign's suspension by hand: the campaign's undo does not reach it any more.
  const reactivate: Move = { event: 'reactivate', action: 'account.reactivated' };
  const account = await change(county, tx, input, reactivate, { suspended_by_campaign: null });
  await noticeToUnit(county, tx, input.tenant, account, 'mail.reactivated', input.reason.trim());
  return account;
}

/** Left the county, resigned or retired: the account stops working for good. */
export async function departAccount(county: County, tx: CountyTx, input: LifecycleInput): Promise<Account> {
  return change(county, tx, input, { event: 'depart', action: 'account.departed' });
}

/** An administrator moves an account to another unit of the county (the account is kept). */
export async function transferAccount(
  _county: County,
  tx: CountyTx,
  input: Omit<LifecycleInput, 'reason'> & { toUnit: string },
): Promise<Account> {
  const unit = await findUnit(tx, input.tenant.code, input.toUnit);
  if (!unit?.active) throw new AppError('county.unit_unknown', 400);
  const before = await findAccountById(tx, input.tenant.code, input.accountId);
  if (!before) throw new AppError('not_found', 404);
  const account = await tx
    .updateTable('county_accounts')
    .set({ unit_code: unit.code, unit_confirmed_at: new Date(), updated_at: new Date() })
    .where('id', '=', before.id)
    .returningAll()
    .executeTakeFirstOrThrow()
    .then(accountFromRow);
  await transferRequests.takeWhere(tx, { account_id: before.id }, 'administratorMove', {
    decided_by: input.actor,
    decided_at: new Date(),
  });
  await audit(tx, {
    tenant: input.tenant.code,
    actor: input.actor,
    action: 'account.transferred',
    target: account.id,
    ip: input.ip,
    details: { from: before.unit_code, to: unit.code, unit: unit.code },
  });
  return account;
}
