import { AppError } from '../../platform/errors/app-error.ts';
import { findAccountById } from '../accounts/repository.ts';
import { auditAccount, type CountyTx } from '../db.ts';
import type { CampaignDecision } from '../schema.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { campaigns, findCampaign } from './repository.ts';

/** A reviewer confirms (still our staff) or flags (not our staff any more) one account. */
export async function recordDecision(
  tx: CountyTx,
  input: {
    tenant: Tenant;
    campaignId: string;
    accountId: string;
    decision: CampaignDecision;
    actor: string;
    ip: string;
    unitCode?: string | undefined;
  },
): Promise<void> {
  const found = await findCampaign(tx, input.tenant.code, input.campaignId);
  if (!found) throw new AppError('not_found', 404);
  // Taken on the campaign's row, so a decision and the deadline's close come one after the other.
  const [campaign] = await campaigns.takeWhere(tx, { tenant: input.tenant.code, id: found.id }, 'decide');
  if (!campaign) throw new AppError('county.campaign_closed', 409);
  const account = await findAccountById(tx, input.tenant.code, input.accountId);
  if (!account) throw new AppError('not_found', 404);
  if (input.unitCode !== undefined && account.unit_code !== input.unitCode)
    throw new AppError('forbidden', 403);
  await tx
    .insertInto('county_audit_entries')
    .values({
      campaign_id: campaign.id,
      account_id: account.id,
      unit_code: account.unit_code,
      decision: input.decision,
      note: null,
      decided_by: input.actor,
    })
    .onConflict((oc) =>
      oc.columns(['campaign_id', 'account_id']).doUpdateSet({
        decision: input.decision,
        decided_by: input.actor,
        decided_at: new Date(),
        unit_code: account.unit_code,
      }),
    )
    .execute();
  await auditAccount(tx, account, {
    actor: input.actor,
    action: input.decision === 'confirmed' ? 'campaign.confirmed' : 'campaign.flagged',
    ip: input.ip,
    details: { campaign: campaign.id, unit: account.unit_code },
  });
}
