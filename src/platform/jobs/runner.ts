import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
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
  pollMs?: number;
  concurrency?: number;
  leaseMs?: number;
}

/**
 * Polls the job table and runs handlers; several runners (nodes) may poll the same table. While
 * polls fail (the database is unreachable), it polls less and less often (jittered exponential
 * backoff up to 30 s) and says so once, then resumes at its normal pace with the first poll that
 * works. A job whose outcome could not be recorded runs again once its lease has passed.
 */
export class JobRunner {
  readonly #db: Kysely<PlatformTables>;
  readonly #log: Logger;
  readonly #handlers = new Map<string, JobHandler>();
  readonly #worker = `${process.pid}-${randomUUID().slice(0, 8)}`;
  readonly #pollMs: number;
  readonly #concurrency: number;
  readonly #leaseMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running = 0;
  #stopped = true;
  #idle: Promise<void> = Promise.resolve();
  /** Polls failed in a row. */
  #failedPolls = 0;

  constructor(db: Kysely<PlatformTables>, log: Logger, options: JobRunnerOptions = {}) {
    this.#db = db;
    this.#log = log;
    this.#pollMs = options.pollMs ?? 500;
    this.#concurrency = options.concurrency ?? 4;
    this.#leaseMs = options.leaseMs ?? 60_000;
  }

  register(type: string, handler: JobHandler): this {
    this.#handlers.set(type, handler);
    return this;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#idle;
  }

  /** Runs every due job now (tests and CLI); returns how many ran. */
  async drain(maxRounds = 50): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxRounds; i++) {
      const n = await this.#tick();
      total += n;
      if (n === 0) break;
    }
    return total;
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#idle = this.#tick()
        .then(
          () => this.#polled(),
          (error: unknown) => this.#pollFailed(error),
        )
        .then((next) => this.#schedule(next));
    }, delay);
    this.#timer.unref();
  }

  /** After a poll that worked: the delay to the next one. */
  #polled(): number {
    if (this.#failedPolls > 0) this.#log.info({ failedPolls: this.#failedPolls }, 'job polls work again');
    this.#failedPolls = 0;
    return this.#pollMs;
  }

  /** After a failed poll: logs it (a dependency outage once) and backs off. */
  #pollFailed(error: unknown): number {
    this.#failedPolls++;
    const delay = backoffMs(this.#failedPolls, this.#pollMs, MAX_POLL_BACKOFF_MS);
    if (!isDependencyFailure(error)) this.#log.error({ err: error, retryInMs: delay }, 'job poll failed');
    else if (this.#failedPolls === 1)
      this.#log.warn({ err: error }, 'job poll failed: a dependency is unavailable; polling less often');
    else this.#log.debug({ err: error, retryInMs: delay }, 'job poll failed again');
    return delay;
  }

  async #tick(): Promise<number> {
    const free = this.#concurrency - this.#running;
    const jobs = await claimJobs(this.#db, this.#worker, [...this.#handlers.keys()], free, this.#leaseMs);
    await Promise.all(jobs.map((job) => this.#run(job)));
    return jobs.length;
  }

  async #run(job: ClaimedJob): Promise<void> {
    const handler = this.#handlers.get(job.type);
    if (!handler) return;
    this.#running++;
    try {
      try {
        await handler(job.payload, job);
      } catch (error) {
        await this.#failed(job, error);
        return;
      }
      try {
        await completeJob(this.#db, job.id, this.#worker);
      } catch (error) {
        // Handlers are idempotent: the job runs again once its lease has passed.
        this.#log.warn(
          { err: error, job: job.id, type: job.type },
          'job done, but its completion was not recorded',
        );
      }
    } finally {
      this.#running--;
    }
  }

  async #failed(job: ClaimedJob, error: unknown): Promise<void> {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const permanent = error instanceof PermanentFailure;
    const delay = error instanceof RetryLater ? error.delayMs : undefined;
    try {
      const outcome = await failJob(
        this.#db,
        permanent ? { ...job, attempts: job.maxAttempts } : job,
        this.#worker,
        message,
        delay,
      );
      this.#log.warn(
        { job: job.id, type: job.type, attempt: job.attempts, outcome, error: message },
        'job failed',
      );
    } catch (recording) {
      this.#log.warn(
        { err: recording, job: job.id, type: job.type, error: message },
        'job failed, and its failure was not recorded; it runs again after its lease',
      );
    }
  }
}
