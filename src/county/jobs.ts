import { sendPasswordReset } from './accounts/password.ts';
import { closeCampaign } from './campaigns/close.ts';
import { remindCampaign } from './campaigns/remind.ts';
import { JOBS } from './links.ts';
import { registerRadiusJobs } from './radius/jobs.ts';
import { expireRegistration } from './registration/submit.ts';
import { remindReview } from './review/decide.ts';
import { registerSecurityEventJobs } from './security-events/setup.ts';
import type { County } from './services.ts';
import { remindTransfer } from './transfer/requests.ts';

/** Registers the county's background jobs (review and transfer reminders, expiries, audit campaign deadlines, password reset mails). */
export function registerCountyJobs(county: County): void {
  const { jobs } = county.ctx;
  jobs.register(JOBS.registrationExpire, (payload) => expireRegistration(county, payload));
  jobs.register(JOBS.reviewReminder, (payload) => remindReview(county, payload));
  jobs.register(JOBS.transferReminder, (payload) => remindTransfer(county, payload));
  jobs.register(JOBS.campaignReminder, (payload) => remindCampaign(county, payload));
  jobs.register(JOBS.campaignDeadline, async (payload) => {
    await closeCampaign(county, String(payload.tenant), String(payload.campaignId));
  });
  jobs.register(JOBS.passwordReset, (payload) => sendPasswordReset(county, payload));
  registerSecurityEventJobs(county);
  registerRadiusJobs(county);
}
