// A teacher's request to change service unit (變更服務單位), approved by the receiving unit.

import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { AppError } from '../../platform/errors/app-error.ts';
import type { Account } from '../accounts/repository.ts';
import { audit, type CountyTx, mail } from '../db.ts';
import { mailMessage } from '../mail-text.ts';
import type { CountyTables } from '../schema.ts';
import type { County } from '../services.ts';
import { findUnit, type Tenant } from '../tenants/tenants.ts';

export type TransferRequest = Selectable<CountyTables['county_transfer_requests']>;

export function pendingTransferOf(db: CountyTx, accountId: string): Promise<TransferRequest | undefined> {
  return db
    .selectFrom('county_transfer_requests')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('state', '=', 'pending')
    .executeTakeFirst();
}

export function pendingTransfersInto(db: CountyTx, tenant: string, unitCode: string) {
  return db
    .selectFrom('county_transfer_requests as r')
    .innerJoin('county_accounts as a', 'a.id', 'r.account_id')
    .select(['r.id', 'r.from_unit', 'r.to_unit', 'r.created_at', 'a.username', 'a.real_name', 'a.email'])
    .where('r.tenant', '=', tenant)
    .where('r.to_unit', '=', unitCode)
    .where('r.state', '=', 'pending')
    .orderBy('r.created_at')
    .execute();
}

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
    await tx
      .updateTable('county_transfer_requests')
      .set({ state: 'cancelled', decided_by: account.username, decided_at: new Date() })
      .where('account_id', '=', account.id)
      .where('state', '=', 'pending')
      .execute();
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
    await audit(tx, {
      tenant: tenant.code,
      actor: account.username,
      action: 'transfer.requested',
      target: account.id,
      ip,
      details: { from: account.unit_code, to: unit.code, unit: unit.code },
    });
    await mail(tx, {
      to: unit.mailbox,
      ...mailMessage('mail.transfer', {
        portal: tenant.portal_name,
        unit: unit.name,
        username: account.username,
        name: account.real_name ?? '',
        console: `${county.tenantUrl(tenant.code)}/review`,
      }),
    });
    return request;
  });
}

export async function cancelTransfer(
  county: County,
  tenant: Tenant,
  account: Account,
  ip: string,
): Promise<void> {
  await county.db.transaction().execute(async (tx) => {
    const r = await tx
      .updateTable('county_transfer_requests')
      .set({ state: 'cancelled', decided_by: account.username, decided_at: new Date() })
      .where('account_id', '=', account.id)
      .where('state', '=', 'pending')
      .returning('id')
      .executeTakeFirst();
    if (r)
      await audit(tx, {
        tenant: tenant.code,
        actor: account.username,
        action: 'transfer.cancelled',
        target: account.id,
        ip,
      });
  });
}

/** The receiving unit's reviewer decides; approval moves the account and confirms its unit. */
export async function decideTransfer(
  _county: County,
  tx: CountyTx,
  input: {
    tenant: Tenant;
    requestId: string;
    decision: 'approve' | 'reject';
    actor: string;
    ip: string;
    unitCode?: string | undefined;
    reason?: string;
  },
): Promise<TransferRequest> {
  const request = await tx
    .selectFrom('county_transfer_requests')
    .selectAll()
    .where('tenant', '=', input.tenant.code)
    .where('id', '=', input.requestId)
    .executeTakeFirst();
  if (!request) throw new AppError('not_found', 404);
  if (input.unitCode !== undefined && request.to_unit !== input.unitCode)
    throw new AppError('forbidden', 403);
  const decided = await tx
    .updateTable('county_transfer_requests')
    .set({
      state: input.decision === 'approve' ? 'approved' : 'rejected',
      decided_by: input.actor,
      decided_at: new Date(),
      reason: input.reason?.trim().slice(0, 500) || null,
    })
    .where('id', '=', request.id)
    .where('state', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
  if (!decided) throw new AppError('county.already_decided', 409);
  const account = await tx
    .selectFrom('county_accounts')
    .selectAll()
    .where('id', '=', request.account_id)
    .executeTakeFirstOrThrow();
  if (input.decision === 'approve') {
    await tx
      .updateTable('county_accounts')
      .set({ unit_code: request.to_unit, unit_confirmed_at: new Date(), updated_at: new Date() })
      .where('id', '=', account.id)
      .execute();
  }
  await audit(tx, {
    tenant: input.tenant.code,
    actor: input.actor,
    action: input.decision === 'approve' ? 'transfer.approved' : 'transfer.rejected',
    target: account.id,
    ip: input.ip,
    details: { from: request.from_unit, to: request.to_unit, unit: request.to_unit },
  });
  const unit = await findUnit(tx, input.tenant.code, request.to_unit);
  await mail(tx, {
    to: account.email,
    ...mailMessage(input.decision === 'approve' ? 'mail.transfer_approved' : 'mail.transfer_rejected', {
      portal: input.tenant.portal_name,
      username: account.username,
      unit: unit?.name ?? request.to_unit,
    }),
  });
  return decided;
}
