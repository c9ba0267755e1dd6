import { sql } from 'kysely';
import { searchAccounts, unitStaff } from '../accounts/repository.ts';
import { campaignStaff, listCampaigns } from '../campaigns/repository.ts';
import { CAMPAIGN } from '../campaigns/transitions.ts';
import { maskedSubmission } from '../profile/profile.ts';
import type { County } from '../services.ts';
import type { Tenant, Unit } from '../tenants/tenants.ts';
import { pendingTransfersInto } from '../transfer/repository.ts';
import { pendingNationalIds } from './national-id.ts';

/** What waits for a unit's reviewer, read for the review console in one go. */
export async function unitWork(county: County, tenant: Tenant, unit: Unit) {
  const [pending, numbers, transfers, staff, campaigns, trail] = await Promise.all([
    searchAccounts(county.db, tenant.code, { state: 'pending_review', unitCode: unit.code }),
    pendingNationalIds(county, tenant.code, unit.code).then((accounts) =>
      Promise.all(accounts.map(async (a) => ({ account: a, masked: await maskedSubmission(county, a) }))),
    ),
    pendingTransfersInto(county.db, tenant.code, unit.code),
    unitStaff(county.db, tenant.code, unit.code),
    listCampaigns(county.db, tenant.code),
    county.db
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant', '=', tenant.code)
      .where(sql<boolean>`details->>'unit' = ${unit.code}`)
      .orderBy('id', 'desc')
      .limit(50)
      .execute(),
  ]);
  // The campaigns in which the reviewer can still confirm or flag their staff.
  const open = campaigns.filter((c) => CAMPAIGN.allows(c.state, 'decide'));
  const campaignRows = await Promise.all(
    open.map(async (campaign) => ({ campaign, rows: await campaignStaff(county.db, campaign, unit.code) })),
  );
  return { pending, numbers, transfers, staff, campaigns: campaignRows, trail };
}

export type UnitWork = Awaited<ReturnType<typeof unitWork>>;
