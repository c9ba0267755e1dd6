import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { PlatformTables } from '../database/platform-schema.ts';
import { type ClaimedJob, claimJobs, completeJob, failJob } from './queue.ts';

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

/** Polls the job table and runs handlers; several runners (nodes) may poll the same table. */
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
        .catch((error: unknown) => this.#log.error({ err: error }, 'job poll failed'))
        .then(() => this.#schedule(this.#pollMs));
    }, delay);
    this.#timer.unref();
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
      );
      this.#log.warn(
        { job: job.id, type: job.type, attempt: job.attempts, outcome, error: message },
        'job failed',
      );
    } finally {
      this.#running--;
    }
  }
}
