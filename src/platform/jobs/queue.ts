import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { PlatformTables, PlatformTx } from '../database/platform-schema.ts';

export interface EnqueueOptions {
  /** A second enqueue with the same key is ignored: the job exists once. */
  idempotencyKey?: string;
  runAt?: Date;
  maxAttempts?: number;
}

/**
 * The channel on which a new job is announced to the runners of one role's database (every node,
 * through `LISTEN`): one per schema, since several roles may share a PostgreSQL database.
 */
export const jobsChannel = (schema: string) => `edugate_jobs_${schema}`;

/**
 * Adds a job. Call it inside the transaction that makes the change the job follows from,
 * so the change and its follow-up are stored together or not at all (outbox). The runners of
 * every node are woken when that transaction commits (`NOTIFY`; not when the job already existed).
 */
export async function enqueueJob(
  db: PlatformTx,
  type: string,
  payload: Record<string, unknown>,
  options: EnqueueOptions = {},
): Promise<string | undefined> {
  const row = await db
    .insertInto('jobs')
    .values({
      id: randomUUID(),
      type,
      payload: JSON.stringify(payload),
      state: 'queued',
      max_attempts: options.maxAttempts ?? 8,
      run_at: options.runAt ?? new Date(),
      idempotency_key: options.idempotencyKey ?? null,
      locked_until: null,
      locked_by: null,
      last_error: null,
      finished_at: null,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning(['id', sql<string>`pg_notify('edugate_jobs_' || current_schema(), '')`.as('woken')])
    .executeTakeFirst();
  return row?.id;
}

export interface ClaimedJob {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
}

/**
 * Claims up to `limit` due jobs for one worker. SKIP LOCKED lets several nodes poll the same table;
 * the lease (`locked_until`) returns a job to the queue when its worker died mid-way.
 */
export async function claimJobs(
  db: Kysely<PlatformTables>,
  worker: string,
  types: readonly string[],
  limit: number,
  leaseMs: number,
): Promise<ClaimedJob[]> {
  if (types.length === 0 || limit <= 0) return [];
  return db.transaction().execute(async (tx) => {
    const due = await tx
      .selectFrom('jobs')
      .select(['id'])
      .where('type', 'in', types)
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', 'queued'), eb('run_at', '<=', sql<Date>`now()`)]),
          eb.and([eb('state', '=', 'running'), eb('locked_until', '<', sql<Date>`now()`)]),
        ]),
      )
      .orderBy('run_at')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    if (due.length === 0) return [];
    const rows = await tx
      .updateTable('jobs')
      .set({
        state: 'running',
        locked_by: worker,
        locked_until: sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})`,
        attempts: sql<number>`attempts + 1`,
      })
      .where(
        'id',
        'in',
        due.map((d) => d.id),
      )
      .returning(['id', 'type', 'payload', 'attempts', 'max_attempts'])
      .execute();
    return rows.map((r) => ({
      id: r.id,
      type: r.type,
      payload: r.payload,
      attempts: r.attempts,
      maxAttempts: r.max_attempts,
    }));
  });
}

export async function completeJob(db: PlatformTx, id: string, worker: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ state: 'done', finished_at: new Date(), locked_until: null, last_error: null })
    .where('id', '=', id)
    .where('locked_by', '=', worker)
    .execute();
}

/** Jittered exponential backoff: base·2^(attempt-1), capped, with ±50 % jitter. */
export function backoffMs(attempt: number, baseMs = 1000, capMs = 15 * 60_000): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + Math.random() * exp);
}

export async function failJob(
  db: PlatformTx,
  job: ClaimedJob,
  worker: string,
  error: string,
  retryAfterMs?: number,
): Promise<'retry' | 'failed'> {
  const final = job.attempts >= job.maxAttempts;
  await db
    .updateTable('jobs')
    .set({
      state: final ? 'failed' : 'queued',
      last_error: error.slice(0, 2000),
      locked_until: null,
      run_at: new Date(Date.now() + (retryAfterMs ?? backoffMs(job.attempts))),
      finished_at: final ? new Date() : null,
    })
    .where('id', '=', job.id)
    .where('locked_by', '=', worker)
    .execute();
  return final ? 'failed' : 'retry';
}

/** Puts a failed job back in the queue (admin "retry"). */
export async function retryJob(db: PlatformTx, id: string): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ state: 'queued', run_at: new Date(), attempts: 0, finished_at: null })
    .where('id', '=', id)
    .where('state', '=', 'failed')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function listJobs(
  db: PlatformTx,
  filter: { type?: string; state?: string; limit?: number } = {},
) {
  let q = db
    .selectFrom('jobs')
    .selectAll()
    .orderBy('created_at', 'desc')
    .limit(filter.limit ?? 100);
  if (filter.type) q = q.where('type', '=', filter.type);
  if (filter.state) q = q.where('state', '=', filter.state as 'queued');
  return q.execute();
}
