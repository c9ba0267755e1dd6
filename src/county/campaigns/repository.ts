// Audit campaigns (清查): the county opens one with a deadline, each unit's reviewer confirms or
// flags its staff, and at the deadline every account not confirmed is suspended — reversibly
// (the suspension remembers the campaign, and undoing the campaign restores them all). Their
// store and reads; their states: `CAMPAIGN` in transitions.ts.
import type { Selectable } from 'kysely';
import { flowTable } from '../../platform/flows/flow-table.ts';
import { ACCOUNT_LIFECYCLE } from '../accounts/transitions.ts';
import type { CountyTx } from '../db.ts';
import type { CountyTables } from '../schema.ts';
import type { Unit } from '../tenants/tenants.ts';
import { CAMPAIGN } from './transitions.ts';

export type Campaign = Selectable<CountyTables['county_audit_campaigns']>;
/** Who is audited: unit staff (teachers and reviewers), not the county administrators. */
export const AUDITED_ROLES = ['teacher', 'reviewer'] as const;

/** The campaigns, each moved by `CAMPAIGN` in one statement. */
export const campaigns = flowTable<CountyTables>()('county_audit_campaigns', CAMPAIGN, { key: 'id' });

/** The audited accounts of the campaign's county that a suspension can reach and nobody confirmed. */
export async function unconfirmedStaff(db: CountyTx, campaign: Campaign): Promise<string[]> {
  const rows = await db
    .selectFrom('county_accounts')
    .select('id')
    .where('tenant', '=', campaign.tenant)
    .where('status', 'in', ACCOUNT_LIFECYCLE.from('suspend'))
    .where('role', 'in', AUDITED_ROLES)
    .where(
      'id',
      'not in',
      db
        .selectFrom('county_audit_entries')
        .select('account_id')
        .where('campaign_id', '=', campaign.id)
        .where('decision', '=', 'confirmed'),
    )
    .execute();
  return rows.map((row) => row.id);
}

export function listCampaigns(db: CountyTx, tenant: string): Promise<Campaign[]> {
  return db
    .selectFrom('county_audit_campaigns')
    .selectAll()
    .where('tenant', '=', tenant)
    .orderBy('created_at', 'desc')
    .execute();
}

export function findCampaign(db: CountyTx, tenant: string, id: string): Promise<Campaign | undefined> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return Promise.resolve(undefined);
  return db
    .selectFrom('county_audit_campaigns')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** The unit's audited staff with their decision in the campaign (if any). */
export function campaignStaff(db: CountyTx, campaign: Campaign, unitCode: string) {
  return db
    .selectFrom('county_accounts as a')
    .leftJoin('county_audit_entries as e', (j) =>
      j.onRef('e.account_id', '=', 'a.id').on('e.campaign_id', '=', campaign.id),
    )
    .select([
      'a.id',
      'a.username',
      'a.real_name',
      'a.status as state',
      'e.decision',
      'e.decided_by',
      'e.decided_at',
    ])
    .where('a.tenant', '=', campaign.tenant)
    .where('a.unit_code', '=', unitCode)
    .where('a.role', 'in', AUDITED_ROLES)
    .where('a.status', 'in', ['active', 'suspended'])
    .orderBy('a.username_normalized')
    .execute();
}

/** How far each unit is: its audited staff, how many confirmed and how many flagged. */
export function campaignProgress(db: CountyTx, campaign: Campaign, units: readonly Unit[]) {
  return Promise.all(
    units.map(async (unit) => {
      const staff = await campaignStaff(db, campaign, unit.code);
      return {
        unit,
        total: staff.length,
        confirmed: staff.filter((s) => s.decision === 'confirmed').length,
        flagged: staff.filter((s) => s.decision === 'flagged').length,
      };
    }),
  );
}

export type UnitProgress = Awaited<ReturnType<typeof campaignProgress>>[number];
