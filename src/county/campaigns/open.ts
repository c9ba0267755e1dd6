import { randomUUID } from 'node:crypto';
import { AppError } from '../../platform/errors/app-error.ts';
import { audit, job, mail } from '../db.ts';
import { JOBS } from '../links.ts';
import { mailMessage } from '../mail-text.ts';
import type { County } from '../services.ts';
import { listUnits, type Tenant } from '../tenants/tenants.ts';
import { formatTime } from '../views/page.ts';
import type { Campaign } from './repository.ts';

export const CAMPAIGN_REMINDER_BEFORE_MS = 3 * 86400_000;

/**
 * A county administrator opens a campaign: in one transaction, the campaign with its audit record,
 * a mail to every active unit's official mailbox, the deadline job and, when there is time for it,
 * the reminder job.
 */
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
