// Audit campaigns (清查): the county opens one with a deadline, each unit's reviewer confirms or
// flags its staff, and at the deadline every account not confirmed is suspended — reversibly
// (the suspension remembers the campaign, and reopening it undoes them all).
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { AppError } from '../../platform/errors/app-error.ts';
import { audit, type CountyTx, job, mail } from '../db.ts';
import { JOBS } from '../links.ts';
import { revokeSessions } from '../login/session.ts';
import { mailMessage } from '../mail-text.ts';
import type { CampaignDecision, CountyTables } from '../schema.ts';
import { emitAccountState } from '../security-events/emit.ts';
import type { County } from '../services.ts';
import { findTenant, listUnits, type Tenant } from '../tenants/tenants.ts';
import { formatTime } from '../views/page.ts';

export type Campaign = Selectable<CountyTables['county_audit_campaigns']>;
export const CAMPAIGN_REMINDER_BEFORE_MS = 3 * 86400_000;
/** Who is audited: unit staff (teachers and reviewers), not the county administrators. */
const AUDITED_ROLES = ['teacher', 'reviewer'] as const;

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

export async function openCampaign(
  county: County,
  tenant: Tenant,
  input: { title: string; deadline: Date; actor: string; ip: string | null },
): Promise<Campaign> {
  if (input.deadline.getTime() <= Date.now()) throw new AppError('county.deadline_past', 400);
  return county.db.transaction().execute(async (tx) => {
    const campaign = await tx
      .insertInto('county_audit_campaigns')
      .values({
        id: randomUUID(),
        tenant: tenant.code,
        title: input.title,
        deadline: input.deadline,
        state: 'open',
        created_by: input.actor,
        closed_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(tx, {
      tenant: tenant.code,
      actor: input.actor,
      action: 'campaign.opened',
      target: campaign.id,
      ip: input.ip,
      details: { title: input.title, deadline: input.deadline.toISOString() },
    });
    for (const unit of await listUnits(tx, tenant.code, { activeOnly: true })) {
      await mail(tx, {
        to: unit.mailbox,
        ...mailMessage('mail.campaign', {
          portal: tenant.portal_name,
          unit: unit.name,
          title: input.title,
          deadline: formatTime(input.deadline),
          console: `${county.tenantUrl(tenant.code)}/review`,
        }),
      });
    }
    await job(
      tx,
      JOBS.campaignDeadline,
      { tenant: tenant.code, campaignId: campaign.id },
      {
        runAt: input.deadline,
        idempotencyKey: `county.campaign.deadline:${campaign.id}`,
      },
    );
    const reminderAt = input.deadline.getTime() - CAMPAIGN_REMINDER_BEFORE_MS;
    if (reminderAt > Date.now()) {
      await job(
        tx,
        JOBS.campaignReminder,
        { tenant: tenant.code, campaignId: campaign.id },
        {
          runAt: new Date(reminderAt),
          idempotencyKey: `county.campaign.reminder:${campaign.id}`,
        },
      );
    }
    return campaign;
  });
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
  const campaign = await findCampaign(tx, input.tenant.code, input.campaignId);
  if (!campaign) throw new AppError('not_found', 404);
  if (campaign.state !== 'open') throw new AppError('county.campaign_closed', 409);
  const account = await tx
    .selectFrom('county_accounts')
    .select(['id', 'unit_code', 'role'])
    .where('tenant', '=', input.tenant.code)
    .where('id', '=', input.accountId)
    .executeTakeFirst();
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
  await audit(tx, {
    tenant: input.tenant.code,
    actor: input.actor,
    action: input.decision === 'confirmed' ? 'campaign.confirmed' : 'campaign.flagged',
    target: account.id,
    ip: input.ip,
    details: { campaign: campaign.id, unit: account.unit_code },
  });
}

/**
 * Closes a campaign: every audited active account without a confirmation is suspended (marked with
 * the campaign so it can be undone). Runs as the deadline job, or early by an administrator.
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
    const closed = await tx
      .updateTable('county_audit_campaigns')
      .set({ state: 'closed', closed_at: new Date() })
      .where('tenant', '=', tenant.code)
      .where('id', '=', campaignId)
      .where('state', '=', 'open')
      .returningAll()
      .executeTakeFirst();
    if (!closed) return 0;
    const confirmed = tx
      .selectFrom('county_audit_entries')
      .select('account_id')
      .where('campaign_id', '=', campaignId)
      .where('decision', '=', 'confirmed');
    const suspended = await tx
      .updateTable('county_accounts')
      .set({
        status: 'suspended',
        // The campaign's title; the account page says in the reader's language what it means.
        status_reason: closed.title,
        suspended_by_campaign: campaignId,
        updated_at: new Date(),
      })
      .where('tenant', '=', tenant.code)
      .where('status', '=', 'active')
      .where('role', 'in', AUDITED_ROLES)
      .where('id', 'not in', confirmed)
      .returning(['id', 'username', 'unit_code'])
      .execute();
    for (const account of suspended) {
      await revokeSessions(tx, account.id);
      await emitAccountState(county, tx, tenant.code, account.id, 'suspended');
      await audit(tx, {
        tenant: tenant.code,
        actor,
        action: 'account.suspended',
        target: account.id,
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

/** Undoes the suspensions of a campaign (accounts suspended for another reason stay suspended). */
export async function undoCampaignSuspensions(
  county: County,
  tenant: Tenant,
  campaignId: string,
  actor: string,
  ip: string | null,
): Promise<number> {
  return county.db.transaction().execute(async (tx) => {
    const restored = await tx
      .updateTable('county_accounts')
      .set({ status: 'active', status_reason: null, suspended_by_campaign: null, updated_at: new Date() })
      .where('tenant', '=', tenant.code)
      .where('status', '=', 'suspended')
      .where('suspended_by_campaign', '=', campaignId)
      .returning(['id', 'unit_code'])
      .execute();
    for (const account of restored) {
      await emitAccountState(county, tx, tenant.code, account.id, 'active');
      await audit(tx, {
        tenant: tenant.code,
        actor,
        action: 'account.reactivated',
        target: account.id,
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

/** Job: reminds the units that still have unconfirmed staff before the deadline. */
export async function remindCampaign(county: County, payload: Record<string, unknown>): Promise<void> {
  const tenant = await findTenant(county.db, String(payload.tenant));
  const campaign = tenant
    ? await findCampaign(county.db, tenant.code, String(payload.campaignId))
    : undefined;
  if (!tenant || !campaign || campaign.state !== 'open') return;
  await county.db.transaction().execute(async (tx) => {
    for (const unit of await listUnits(tx, tenant.code, { activeOnly: true })) {
      const staff = await campaignStaff(tx, campaign, unit.code);
      const open = staff.filter((s) => s.state === 'active' && s.decision !== 'confirmed').length;
      if (open === 0) continue;
      await mail(tx, {
        to: unit.mailbox,
        ...mailMessage('mail.campaign_reminder', {
          portal: tenant.portal_name,
          unit: unit.name,
          title: campaign.title,
          count: open,
          deadline: formatTime(campaign.deadline),
          console: `${county.tenantUrl(tenant.code)}/review`,
        }),
      });
    }
  });
}
