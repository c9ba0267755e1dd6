/** Purposes and lifetimes of the county's signed one-time links. */
export const LINKS = {
  // An application not verified within a day is removed: its username and email are free again.
  verifyEmail: { purpose: 'county.verify-email', ttlSeconds: 86400 },
  review: { purpose: 'county.review', ttlSeconds: 14 * 86400 },
  changeEmail: { purpose: 'county.change-email', ttlSeconds: 86400 },
  transfer: { purpose: 'county.transfer', ttlSeconds: 14 * 86400 },
  resetPassword: { purpose: 'county.reset-password', ttlSeconds: 3600 },
} as const;

/** A unit that has not decided an application or a transfer request by mail is reminded after 3 days. */
export const DECISION_REMINDER_AFTER_MS = 3 * 86400_000;

export const JOBS = {
  registrationExpire: 'county.registration.expire',
  reviewReminder: 'county.review.reminder',
  transferReminder: 'county.transfer.reminder',
  campaignReminder: 'county.campaign.reminder',
  campaignDeadline: 'county.campaign.deadline',
  passwordReset: 'county.password.reset',
} as const;
