import { AppError } from '../../platform/errors/app-error.ts';
import { listJobs, retryJob } from '../../platform/jobs/queue.ts';
import { ACTIVATE_JOB, RECONCILE_JOB, SYNC_JOB } from './jobs.ts';
import type { Db } from './provision-account.ts';

const PROVISIONING_TYPES = [ACTIVATE_JOB, SYNC_JOB, RECONCILE_JOB];

/** A provisioning job as the admin page and the admin API show it. */
export type ProvisioningJob = Awaited<ReturnType<typeof provisioningJobs>>[number];

/** The latest provisioning jobs (activations, syncs, reconciles), with what each is about. */
export async function provisioningJobs(db: Db) {
  const jobs = (await listJobs(db, { limit: 200 })).filter((j) => PROVISIONING_TYPES.includes(j.type));
  return jobs.map((j) => ({
    id: j.id,
    type: j.type,
    subject:
      typeof j.payload.sub === 'string'
        ? j.payload.sub
        : typeof j.payload.day === 'string'
          ? j.payload.day
          : '',
    state: j.state,
    attempts: j.attempts,
    maxAttempts: j.max_attempts,
    lastError: j.last_error,
    runAt: new Date(j.run_at).toISOString(),
  }));
}

/** A failed job queued once more; `not_found` when there is no failed job `id`. */
export async function retryProvisioningJob(db: Db, id: string): Promise<void> {
  if (!(await retryJob(db, id))) throw new AppError('not_found', 404);
}
