import { AppError } from '../../platform/errors/app-error.ts';
import { transitionAccounts } from '../accounts/repository.ts';
import { audit, auditAccount, mail } from '../db.ts';
import { revokeSessions } from '../login/session.ts';
import { mailMessage } from '../mail-text.ts';
import { emitAccountState } from '../security-events/emit.ts';
import type { County } from '../services.ts';
import { findTenant, listUnits, type Tenant } from '../tenants/tenants.ts';
import { campaigns, unconfirmedStaff } from './repository.ts';

/**
 * Closes a campaign: every audited active account without a confirmation is suspended (marked with
 * the campaign so it can be undone). Runs as the deadline job, or early by an administrator; a
 * campaign closed already is left as it is (0).
 */
export async function closeCampaign(
  county: County,
  tenantCode: string,
  campaignId: string,
  actor = 'system',
): Promise<number> {
  const tenant = await findTenant(county.db, tenantCode);
  if (!tenant) return 0;
  return county.db.transaction().execute(async (tx) => {
    const [closed] = await campaigns.takeWhere(tx, { tenant: tenant.code, id: campaignId }, 'close', {
      closed_at: new Date(),
    });
    if (!closed) return 0;
    const suspended = await transitionAccounts(
      tx,
      tenant.code,
      { id: await unconfirmedStaff(tx, closed) },
      'suspend',
      // The campaign's title; the account page says in the reader's language what it means.
      { state_reason: closed.title, suspended_by_campaign: campaignId },
    );
    for (const account of suspended) {
      await revokeSessions(tx, account.id);
      await emitAccountState(county, tx, tenant.code, account.id, 'suspended');
      await auditAccount(tx, account, {
        actor,
        action: 'account.suspended',
        details: { campaign: campaignId, unit: account.unit_code, reason: 'campaign_unconfirmed' },
      });
    }
    await tx
      .updateTable('county_audit_campaigns')
      .set({ suspended_count: suspended.length })
      .where('id', '=', campaignId)
      .execute();
    await audit(tx, {
      tenant: tenant.code,
      actor,
      action: 'campaign.closed',
      target: campaignId,
      details: { suspended: suspended.length },
    });
    const byUnit = new Map<string, string[]>();
    for (const a of suspended)
      if (a.unit_code) byUnit.set(a.unit_code, [...(byUnit.get(a.unit_code) ?? []), a.username]);
    for (const unit of await listUnits(tx, tenant.code)) {
      const names = byUnit.get(unit.code);
      if (!names) continue;
      await mail(tx, {
        to: unit.mailbox,
        ...mailMessage('mail.campaign_closed', {
          portal: tenant.portal_name,
          unit: unit.name,
          title: closed.title,
          accounts: names.join(', '),
        }),
      });
    }
    return suspended.length;
  });
}

/**
 * Undoes the suspensions of a closed campaign (accounts suspended for another reason, or reactivated
 * or departed since, stay as they are); `county.campaign_open` while it is open.
 */
export async function undoCampaignSuspensions(
  county: County,
  tenant: Tenant,
  campaignId: string,
  actor: string,
  ip: string | null,
): Promise<number> {
  return county.db.transaction().execute(async (tx) => {
    const [undone] = await campaigns.takeWhere(tx, { tenant: tenant.code, id: campaignId }, 'undo');
    if (!undone) throw new AppError('county.campaign_open', 409);
    const restored = await transitionAccounts(
      tx,
      tenant.code,
      { suspended_by_campaign: campaignId },
      'reactivate',
      { state_reason: null, suspended_by_campaign: null },
    );
    for (const account of restored) {
      await emitAccountState(county, tx, tenant.code, account.id, 'active');
      await auditAccount(tx, account, {
        actor,
        action: 'account.reactivated',
        ip,
        details: { campaign: campaignId, unit: account.unit_code },
      });
    }
    await audit(tx, {
      tenant: tenant.code,
      actor,
      action: 'campaign.undone',
      target: campaignId,
      ip,
      details: { restored: restored.length },
    });
    return restored.length;
  });
}
