import { PermanentFailure, RetryLater } from '../../platform/jobs/runner.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import type { WorkspaceTables } from '../schema.ts';
import { DirectoryClient, DirectoryFailure } from './directory-client.ts';
import { googleTarget } from './google-auth.ts';
import { ACTIVATE_JOB, RECONCILE_JOB, SYNC_JOB } from './jobs.ts';
import { RequestPacer } from './pacing.ts';
import { activateAccount, type ProvisioningDeps, retryDelay, syncAccount } from './provision-account.ts';
import { reconcile } from './reconcile.ts';

/** Google's default Directory API quota, and how many calls one node keeps in flight. */
export const DEFAULT_QUOTA_PER_MINUTE = 2400;
export const DEFAULT_CONCURRENCY = 8;

export interface ProvisioningOptions {
  quotaPerMinute?: number;
  concurrency?: number;
  afterStep?: ProvisioningDeps['afterStep'];
}

/** The provisioning engine of one node: a paced Directory client and the job handlers. */
export function createProvisioning(ctx: RoleContext<WorkspaceTables>, options: ProvisioningOptions = {}) {
  const pacer = new RequestPacer(
    options.quotaPerMinute ?? ctx.config.googleQuotaPerMinute ?? DEFAULT_QUOTA_PER_MINUTE,
    options.concurrency ?? ctx.config.googleConcurrency ?? DEFAULT_CONCURRENCY,
  );
  let client: DirectoryClient | undefined;
  const directory = () => {
    if (client) return client;
    const target = googleTarget(ctx.config, ctx.demo ? ctx.urls.google : undefined);
    if (!target) {
      throw new PermanentFailure(
        'Google Workspace is not configured: set GOOGLE_SERVICE_ACCOUNT_FILE and GOOGLE_ADMIN_SUBJECT (see docs/OPERATIONS.md)',
      );
    }
    client = new DirectoryClient(target, pacer);
    return client;
  };
  const deps = (): ProvisioningDeps => ({
    db: ctx.db,
    directory: directory(),
    log: ctx.log,
    ...(options.afterStep ? { afterStep: options.afterStep } : {}),
  });
  const sub = (payload: Record<string, unknown>) => {
    if (typeof payload.sub !== 'string') throw new PermanentFailure('job payload has no sub');
    return payload.sub;
  };

  ctx.jobs.register(ACTIVATE_JOB, (payload, job) => activateAccount(deps(), sub(payload), job));
  ctx.jobs.register(SYNC_JOB, (payload, job) => syncAccount(deps(), sub(payload), job));
  ctx.jobs.register(RECONCILE_JOB, async (payload, job) => {
    try {
      await reconcile(deps(), payload);
    } catch (error) {
      if (error instanceof DirectoryFailure && error.kind !== 'permanent') {
        throw new RetryLater(error.message, retryDelay(error, job.attempts));
      }
      throw error;
    }
  });
  return { pacer, deps };
}
