import type { County } from './services.ts';

/** Registers the county's background jobs (review reminders, expiries, audit campaign deadlines). */
export function registerCountyJobs(_county: County): void {}
