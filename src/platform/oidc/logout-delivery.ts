// Back-channel logout tokens that reach their relying party late: the provider posts each logout
// token at once (the sign-out page says the apps were told), and a delivery that fails (the
// receiver is down, answers 5xx or times out) goes to the role's job queue, which tries again
// with backoff, each time with a fresh logout token (receivers accept tokens at most 120 s old).
import type { Kysely } from 'kysely';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { platformView } from '../database/platform-schema.ts';
import { backoffMs, enqueueJob } from '../jobs/queue.ts';
import { type JobHandler, RetryLater } from '../jobs/runner.ts';

export const BACKCHANNEL_LOGOUT_JOB = 'oidc.backchannel_logout';

/** Tries of one logout token: 1 at once, then the queue's (about 20 minutes in all). */
const MAX_ATTEMPTS = 25;
const FIRST_RETRY_MS = 1000;
const LONGEST_WAIT_MS = 60_000;

/** What a role's job runner offers: handlers by type. */
export interface JobRegistry {
  register(type: string, handler: JobHandler): unknown;
}

type Deliver = (sub: string, sid: string) => Promise<void>;

/** oidc-provider's client model, as far as the delivery goes. */
interface LogoutClient {
  clientId: string;
  backchannelLogoutUri?: string;
  backchannelLogout: Deliver;
}

const DELIVER = Symbol('deliver logout token');
type Patched = LogoutClient & { [DELIVER]?: Deliver };

/** The providers of each job registry by tenant, so that one handler serves every issuer of a role. */
const issuers = new WeakMap<JobRegistry, Map<string, () => Provider>>();

/**
 * Makes `provider`'s back-channel logout retry failed deliveries through the job queue. `current`
 * gives the issuer's provider when a job runs (it is rebuilt when its keys change).
 */
export function retryLogoutsThroughJobs(options: {
  provider: Provider;
  current: () => Provider;
  tenant: string;
  db: Kysely<unknown>;
  jobs: JobRegistry;
  log: Logger;
}): void {
  const { tenant, log } = options;
  const db = platformView(options.db);
  const proto = options.provider.Client.prototype as unknown as Patched;
  if (!proto[DELIVER]) {
    const deliver = proto.backchannelLogout;
    proto[DELIVER] = deliver;
    proto.backchannelLogout = async function (this: LogoutClient, sub: string, sid: string) {
      try {
        await deliver.call(this, sub, sid);
      } catch (error) {
        await enqueueJob(
          db,
          BACKCHANNEL_LOGOUT_JOB,
          { tenant, clientId: this.clientId, sub, sid },
          {
            runAt: new Date(Date.now() + backoffMs(1, FIRST_RETRY_MS, LONGEST_WAIT_MS)),
            maxAttempts: MAX_ATTEMPTS,
          },
        ).catch((queueError: unknown) => log.error({ err: queueError }, 'back-channel logout not queued'));
        throw error;
      }
    };
  }
  let byTenant = issuers.get(options.jobs);
  if (!byTenant) {
    const registry = new Map<string, () => Provider>();
    byTenant = registry;
    issuers.set(options.jobs, registry);
    options.jobs.register(BACKCHANNEL_LOGOUT_JOB, async (payload, job) => {
      const { tenant: of, clientId, sub, sid } = payload as Record<string, string>;
      const provider = registry.get(of ?? '')?.();
      if (!provider || !clientId || !sub) return;
      const client = (await provider.Client.find(clientId)) as unknown as Patched | undefined;
      const deliver = client?.[DELIVER];
      // A client removed or without a receiver since: nobody to tell.
      if (!client?.backchannelLogoutUri || !deliver) return;
      try {
        await deliver.call(client, sub, sid ?? '');
      } catch (error) {
        log.warn(
          { clientId, attempt: job.attempts + 1, err: (error as Error).message },
          'back-channel logout retry failed',
        );
        throw new RetryLater(
          (error as Error).message,
          backoffMs(job.attempts + 1, FIRST_RETRY_MS, LONGEST_WAIT_MS),
        );
      }
      log.info({ clientId, attempt: job.attempts + 1 }, 'back-channel logout delivered on retry');
    });
  }
  byTenant.set(tenant, options.current);
}
