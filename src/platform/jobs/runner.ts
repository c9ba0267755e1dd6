import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Notifications } from '../database/notifications.ts';
import type { PlatformTables } from '../database/platform-schema.ts';
import { isDependencyFailure } from '../errors/dependency.ts';
import { backoffMs, type ClaimedJob, claimJobs, completeJob, failJob } from './queue.ts';

/** Longest pause between two polls while they keep failing (e.g. the database is down). */
const MAX_POLL_BACKOFF_MS = 30_000;

/** Thrown by a handler to ask for a retry after a given delay (e.g. a Retry-After header). */
export class RetryLater extends Error {
  override name = 'RetryLater';
  readonly delayMs: number;
  constructor(message: string, delayMs: number) {
    super(message);
    this.delayMs = delayMs;
  }
}

/** Thrown by a handler when retrying cannot help; the job fails at once. */
export class PermanentFailure extends Error {
  override name = 'PermanentFailure';
}

export type JobHandler = (payload: Record<string, unknown>, job: ClaimedJob) => Promise<void>;

export interface JobRunnerOptions {
  /** Pause between looks at the queue while it has nothing due (jobs whose time comes, missed wake-ups). */
  pollMs?: number;
  /** Jobs run at once by this runner. */
  concurrency?: number;
  leaseMs?: number;
  /** Wakes the runner when a job is enqueued, on this node or another (see `enqueueJob`). */
  wakeUps?: { notifications: Notifications; channel: string };
}

/**
 * Runs the handlers of queued jobs; several runners (nodes) may share the table. It keeps
 * `concurrency` jobs running while jobs are due: each finished job makes room for the next claim at
 * once. With nothing due it waits for a wake-up (a job enqueued anywhere, through `LISTEN`) or, at
 * the latest, `pollMs`.
 */
export class JobRunner {
  readonly #db: Kysely<PlatformTables>;
  readonly #log: Logger;
  readonly #handlers = new Map<string, JobHandler>();
  readonly #worker = `${process.pid}-${randomUUID().slice(0, 8)}`;
  readonly #pollMs: number;
  readonly #concurrency: number;
  readonly #leaseMs: number;
  readonly #wakeUps: JobRunnerOptions['wakeUps'];
  #unlisten: (() => Promise<void>) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = 0;
  #stopped = true;
  /** A claim is under way; `#again`: something may be due that it did not see. */
  #claiming = false;
  #again = false;
  /** Polls failed in a row. */
  #failedPolls = 0;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(db: Kysely<PlatformTables>, log: Logger, options: JobRunnerOptions = {}) {
    this.#db = db;
    this.#log = log;
    this.#pollMs = options.pollMs ?? 500;
    this.#concurrency = options.concurrency ?? 8;
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#wakeUps = options.wakeUps;
  }

  register(type: string, handler: JobHandler): this {
    this.#handlers.set(type, handler);
    return this;
  }

  /** Starts running jobs; resolves once it listens for new ones. */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    if (this.#wakeUps) {
      try {
        this.#unlisten = await this.#wakeUps.notifications.listen(
          this.#wakeUps.channel,
          () => this.#wake(),
          (error, message) => this.#log.warn({ err: error }, message),
        );
      } catch (error) {
        this.#log.warn({ err: error }, 'cannot listen for new jobs; polling only');
      }
    }
    this.#wake();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    const unlisten = this.#unlisten;
    this.#unlisten = undefined;
    await unlisten?.();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Runs every due job now (tests and CLI); returns how many ran. */
  async drain(maxRounds = 50): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxRounds; i++) {
      const jobs = await this.#claim(this.#concurrency - this.#running);
      await Promise.all(jobs.map((job) => this.#run(job)));
      total += jobs.length;
      if (jobs.length === 0) break;
    }
    return total;
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise);
    void promise.finally(() => this.#inFlight.delete(promise)).catch(() => {});
    return promise;
  }

  /** Claims jobs into the free slots now, or right after the claim under way. */
  #wake(): void {
    if (this.#stopped) return;
    if (this.#claiming) {
      this.#again = true;
      return;
    }
    this.#claiming = true;
    void this.#track(this.#fill());
  }

  async #fill(): Promise<void> {
    try {
      for (;;) {
        this.#again = false;
        const free = this.#concurrency - this.#running;
        if (this.#stopped || free <= 0) break; // a finishing job wakes the runner again
        const jobs = await this.#claim(free);
        this.#polled();
        for (const job of jobs) void this.#track(this.#run(job).finally(() => this.#wake()));
        // Fewer than asked: nothing more is due, unless a wake-up came in meanwhile.
        if (jobs.length < free && !this.#again) break;
      }
    } catch (error) {
      this.#pollFailed(error);
    } finally {
      this.#claiming = false;
      this.#poll();
    }
  }

  /** After a poll that worked: back to the normal pace. */
  #polled(): void {
    if (this.#failedPolls > 0) this.#log.info({ failedPolls: this.#failedPolls }, 'job polls work again');
    this.#failedPolls = 0;
  }

  /** After a failed poll: logs it (a dependency outage once) and backs off. */
  #pollFailed(error: unknown): void {
    this.#failedPolls++;
    const delay = this.#pollDelay();
    if (!isDependencyFailure(error)) this.#log.error({ err: error, retryInMs: delay }, 'job poll failed');
    else if (this.#failedPolls === 1)
      this.#log.warn({ err: error }, 'job poll failed: a dependency is unavailable; polling less often');
    else this.#log.debug({ err: error, retryInMs: delay }, 'job poll failed again');
  }

  #pollDelay(): number {
    return this.#failedPolls > 0
      ? backoffMs(this.#failedPolls, this.#pollMs, MAX_POLL_BACKOFF_MS)
      : this.#pollMs;
  }

  /** Looks again after `pollMs` however quiet it is: jobs whose time comes, wake-ups lost. */
  #poll(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#stopped) return;
    this.#timer = setTimeout(() => this.#wake(), this.#pollDelay());
    this.#timer.unref();
  }

  #claim(limit: number): Promise<ClaimedJob[]> {
    return claimJobs(this.#db, this.#worker, [...this.#handlers.keys()], limit, this.#leaseMs);
  }

  async #run(job: ClaimedJob): Promise<void> {
    const handler = this.#handlers.get(job.type);
    if (!handler) return;
    this.#running++;
    try {
      await handler(job.payload, job);
      await completeJob(this.#db, job.id, this.#worker);
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const permanent = error instanceof PermanentFailure;
      const delay = error instanceof RetryLater ? error.delayMs : undefined;
      const outcome = await failJob(
        this.#db,
        permanent ? { ...job, attempts: job.maxAttempts } : job,
        this.#worker,
        message,
        delay,
      ).catch((failure: unknown) => {
        this.#log.error({ err: failure, job: job.id }, 'job outcome not recorded; its lease will expire');
        return 'unrecorded';
      });
      this.#log.warn(
        { job: job.id, type: job.type, attempt: job.attempts, outcome, error: message },
        'job failed',
      );
    } finally {
      this.#running--;
    }
  }
}
