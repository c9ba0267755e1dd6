import { mail } from '../db.ts';
import { mailMessage } from '../mail-text.ts';
import type { County } from '../services.ts';
import { findTenant, listUnits } from '../tenants/tenants.ts';
import { formatTime } from '../views/page.ts';
import { campaignStaff, findCampaign } from './repository.ts';
import { CAMPAIGN } from './transitions.ts';

/** Job: reminds the units that still have unconfirmed staff before the deadline. */
export async function remindCampaign(county: County, payload: Record<string, unknown>): Promise<void> {
  const tenant = await findTenant(county.db, String(payload.tenant));
  const campaign = tenant
    ? await findCampaign(county.db, tenant.code, String(payload.campaignId))
    : undefined;
  if (!tenant || !campaign || !CAMPAIGN.allows(campaign.state, 'remind')) return;
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
