import { parseLocalTime } from '../manage/content-rules.ts';
import type { FieldErrors } from '../registration/rules.ts';
import { hasMarkup, tooLong } from '../views/form.ts';

export const TITLE_MAX = 200;

/** The values of the form that opens a campaign, as typed. */
export interface CampaignInput {
  title: string;
  /** Local time in Taiwan (`datetime-local`). */
  deadline: string;
}

/** The errors of the opening form (catalogue keys), and its deadline when it is one. */
export function campaignErrors(input: CampaignInput): { errors: FieldErrors; deadline: Date | undefined } {
  const errors: FieldErrors = {};
  const deadline = parseLocalTime(input.deadline);
  if (input.title === '') errors.title = { key: 'register.error.required' };
  else if (tooLong(input.title, TITLE_MAX) || hasMarkup(input.title))
    errors.title = { key: 'manage.error.text', vars: { max: TITLE_MAX } };
  if (!deadline) errors.deadline = { key: 'manage.error.datetime' };
  else if (deadline.getTime() <= Date.now()) errors.deadline = { key: 'error.county.deadline_past' };
  return { errors, deadline };
}
