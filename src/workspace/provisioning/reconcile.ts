import { randomUUID } from 'node:crypto';
import type { PlatformTx } from '../../platform/database/platform-schema.ts';
import { enqueueJob } from '../../platform/jobs/queue.ts';
import type { DriftItem } from '../schema.ts';
import { RECONCILE_JOB, reconcileKey } from './jobs.ts';
import { belongsTo, type Db, type ProvisioningDeps } from './provision-account.ts';

/** Accounts checked per job run (each is one paced users.get); the rest continue in a follow-up job. */
const BATCH = 200;

/** The next nightly run: 02:00 in Taiwan (18:00 UTC). */
export function nextNightlyRun(now = new Date()): Date {
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 18, 0, 0));
  if (next <= now) next.setUTCDate(next.getUTCDate() + 1);
  return next;
}

export async function scheduleNightlyReconcile(db: PlatformTx, now = new Date()): Promise<void> {
  const runAt = nextNightlyRun(now);
  const day = runAt.toISOString().slice(0, 10);
  await enqueueJob(
    db,
    RECONCILE_JOB,
    { day, reportId: null, after: '' },
    { idempotencyKey: reconcileKey(day), runAt },
  );
}

/** A reconcile now, besides the nightly one (an administrator asks; the report shows on the admin page). */
export async function queueReconcileNow(db: PlatformTx): Promise<void> {
  await enqueueJob(db, RECONCILE_JOB, { day: null, reportId: null, after: '' });
}

/** The report of the latest reconcile, if any ran. */
export function latestReconcileReport(db: Db) {
  return db
    .selectFrom('workspace_reconcile_reports')
    .selectAll()
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Job `workspace.reconcile`: compares every activated account with its Google user (users.get, never
 * a search) and records drift — missing user, foreign user, suspension or org unit out of line.
 */
export async function reconcile(
  deps: ProvisioningDeps,
  payload: { day?: unknown; reportId?: unknown; after?: unknown },
): Promise<string> {
  const { db } = deps;
  const reportId = typeof payload.reportId === 'string' ? payload.reportId : randomUUID();
  const after = typeof payload.after === 'string' ? payload.after : '';
  if (!payload.reportId) {
    await db
      .insertInto('workspace_reconcile_reports')
      .values({
        id: reportId,
        started_at: new Date(),
        finished_at: null,
        checked: 0,
        drift: '[]',
        error: null,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
  const accounts = await db
    .selectFrom('workspace_accounts')
    .selectAll()
    .where('state', '=', 'active')
    .where('cloud_sub', '>', after)
    .orderBy('cloud_sub')
    .limit(BATCH)
    .execute();
  const drift: DriftItem[] = [];
  for (const account of accounts) {
    const user = await deps.directory.getUser(account.google_user_id ?? account.google_email);
    const item = (problem: DriftItem['problem'], expected: string, found: string) =>
      drift.push({ sub: account.cloud_sub, googleEmail: account.google_email, problem, expected, found });
    if (!user) item('missing', account.google_email, '404');
    else if (!belongsTo(user, account.cloud_sub)) item('foreign', account.cloud_sub, user.id ?? '?');
    else {
      const suspended = account.cloud_state === 'suspended';
      if ((user.suspended ?? false) !== suspended)
        item('suspension', String(suspended), String(user.suspended));
      if (user.orgUnitPath !== account.org_unit_path)
        item('org_unit', account.org_unit_path, user.orgUnitPath ?? '');
    }
  }
  const last = accounts.at(-1)?.cloud_sub;
  await db.transaction().execute(async (tx) => {
    const report = await tx
      .selectFrom('workspace_reconcile_reports')
      .select(['checked', 'drift'])
      .where('id', '=', reportId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const done = accounts.length < BATCH;
    await tx
      .updateTable('workspace_reconcile_reports')
      .set({
        checked: report.checked + accounts.length,
        drift: JSON.stringify([...report.drift, ...drift]),
        ...(done ? { finished_at: new Date() } : {}),
      })
      .where('id', '=', reportId)
      .execute();
    if (!done && last) {
      await enqueueJob(
        tx,
        RECONCILE_JOB,
        { day: payload.day ?? null, reportId, after: last },
        { idempotencyKey: `${RECONCILE_JOB}:${reportId}:${last}` },
      );
    } else if (typeof payload.day === 'string') {
      await scheduleNightlyReconcile(tx, new Date(Date.parse(payload.day) + 86_400_000 / 2));
    }
  });
  return reportId;
}
