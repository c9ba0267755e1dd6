import { job } from '../db.ts';
import type { County } from '../services.ts';
import { purgeRadiusRecords } from './accounting.ts';

export const RADIUS_PURGE_JOB = 'county.radius.purge';

/** How often a node asks for the purge (the job runs once a day: its key is the date). */
const SCHEDULE_MS = 3600_000;

export function registerRadiusJobs(county: County): void {
  county.ctx.jobs.register(RADIUS_PURGE_JOB, async () => {
    const deleted = await purgeRadiusRecords(county);
    if (deleted > 0) county.ctx.log.info({ deleted }, 'old RADIUS connection records deleted');
  });
}

/** Queues today's purge (once per day across nodes); returns a stop function for the timer. */
export function schedulePurge(county: County): () => void {
  const enqueue = () => {
    const day = new Date().toISOString().slice(0, 10);
    job(county.db, RADIUS_PURGE_JOB, {}, { idempotencyKey: `${RADIUS_PURGE_JOB}:${day}` }).catch(
      (error: unknown) => county.ctx.log.warn({ err: error }, 'could not queue the RADIUS record purge'),
    );
  };
  enqueue();
  const timer = setInterval(enqueue, SCHEDULE_MS);
  timer.unref();
  return () => clearInterval(timer);
}
