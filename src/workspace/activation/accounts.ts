import { recordAudit } from '../../platform/audit/audit-log.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { enqueueJob } from '../../platform/jobs/queue.ts';
import { ACTIVATE_JOB, activationKey, SYNC_JOB, syncKey } from '../provisioning/jobs.ts';
import type { AccountRow, Db } from '../provisioning/provision-account.ts';
import { activations } from './store.ts';
import { ACTIVATION } from './transitions.ts';

/** What the activation portal learns about a teacher from the cloud (ID token, userinfo, eduinfo). */
export interface CloudProfile {
  sub: string;
  username: string;
  email: string;
  name: string;
  givenName: string;
  familyName: string;
  schoolCode: string | null;
  /** County code when the cloud says it; else looked up from the school list. */
  county: string | null;
  state: 'active' | 'suspended';
}

/** `name@go.edu.tw`: the same local part as the cloud address `name@mail.edu.tw`. */
export function googleAddress(cloudEmail: string, workspaceDomain: string): string {
  const local = cloudEmail.split('@')[0] ?? cloudEmail;
  return `${local.toLowerCase()}@${workspaceDomain}`;
}

export async function orgUnitFor(
  db: Db,
  profile: CloudProfile,
): Promise<{ county: string | null; path: string }> {
  let county = profile.county;
  if (!county && profile.schoolCode) {
    const school = await db
      .selectFrom('workspace_schools')
      .select('county')
      .where('code', '=', profile.schoolCode)
      .executeTakeFirst();
    county = school?.county ?? null;
  }
  if (!profile.schoolCode) return { county, path: county ? `/${county}` : '/' };
  return { county, path: `/${county ?? 'other'}/${profile.schoolCode}` };
}

/**
 * Records (or refreshes) the teacher's cloud profile at each sign-in. An activated account keeps
 * its Google address; a school change moves the Google user to the new org unit (a sync job).
 * `db` may be a transaction.
 */
export async function rememberProfile(
  db: Db,
  profile: CloudProfile,
  workspaceDomain: string,
): Promise<AccountRow> {
  const { county, path } = await orgUnitFor(db, profile);
  const apply = async (tx: Db) => {
    const existing = await tx
      .selectFrom('workspace_accounts')
      .selectAll()
      .where('cloud_sub', '=', profile.sub)
      .forUpdate()
      .executeTakeFirst();
    const now = new Date();
    const fields = {
      cloud_username: profile.username,
      cloud_email: profile.email,
      display_name: profile.name,
      given_name: profile.givenName,
      family_name: profile.familyName,
      school_code: profile.schoolCode,
      county,
      org_unit_path: path,
      updated_at: now,
    };
    if (!existing) {
      return tx
        .insertInto('workspace_accounts')
        .values({
          cloud_sub: profile.sub,
          ...fields,
          google_email: googleAddress(profile.email, workspaceDomain),
          state: 'none',
          cloud_state: profile.state,
          google_user_id: null,
          google_suspended: null,
          last_error: null,
          requested_at: null,
          activated_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    }
    const moved = existing.state === 'active' && existing.org_unit_path !== path;
    const restated = existing.cloud_state !== profile.state;
    const version = existing.sync_version + (moved || restated ? 1 : 0);
    const row = await tx
      .updateTable('workspace_accounts')
      .set({
        ...fields,
        ...(existing.state === 'active'
          ? {}
          : { google_email: googleAddress(profile.email, workspaceDomain) }),
        cloud_state: profile.state,
        sync_version: version,
      })
      .where('cloud_sub', '=', profile.sub)
      .returningAll()
      .executeTakeFirstOrThrow();
    if ((moved || restated) && existing.state === 'active') {
      await enqueueJob(
        tx,
        SYNC_JOB,
        { sub: profile.sub },
        { idempotencyKey: syncKey(profile.sub, version), maxAttempts: 20 },
      );
    }
    return row;
  };
  return db.isTransaction ? apply(db) : db.transaction().execute(apply);
}

/** The button 「啟用 G Suite for Education」: one durable job, however often it is pressed. */
export async function requestActivation(
  db: Db,
  sub: string,
  actor: string,
  ip: string | null,
): Promise<AccountRow> {
  return (await takeRequest(db, sub, 'request', actor, ip)).row;
}

/**
 * An administrator's retry of a failed or conflicting activation: one durable job, as the button;
 * `ws_not_failed` (with the state) when the activation table allows no retry from its state.
 */
export async function retryActivation(
  db: Db,
  sub: string,
  actor: string,
  ip: string | null,
): Promise<AccountRow> {
  const { row, taken } = await takeRequest(db, sub, 'retry', actor, ip);
  if (!taken) throw new AppError('ws_not_failed', 409, { username: row.cloud_username, state: row.state });
  return row;
}

/** Takes `request` or `retry` with its job and audit record; the row, and whether it moved. */
function takeRequest(
  db: Db,
  sub: string,
  event: 'request' | 'retry',
  actor: string,
  ip: string | null,
): Promise<{ row: AccountRow; taken: boolean }> {
  return db.transaction().execute(async (tx) => {
    const account = await tx
      .selectFrom('workspace_accounts')
      .selectAll()
      .where('cloud_sub', '=', sub)
      .forUpdate()
      .executeTakeFirstOrThrow();
    // Pressed again while queued or active, a retry of an activation that did not fail, an account
    // the cloud suspended: nothing to do.
    if (!ACTIVATION.allows(account.state, event) || account.cloud_state === 'suspended') {
      return { row: account, taken: false };
    }
    const round = account.activation_round + 1;
    const row = await activations.take(tx, sub, event, {
      activation_round: round,
      last_error: null,
      requested_at: new Date(),
      updated_at: new Date(),
    });
    if (!row) return { row: account, taken: false };
    await enqueueJob(
      tx,
      ACTIVATE_JOB,
      { sub },
      { idempotencyKey: activationKey(sub, round), maxAttempts: 20 },
    );
    await recordAudit(tx, {
      actor,
      action: 'workspace.activation.requested',
      target: account.google_email,
      ip,
      details: { sub, round, orgUnitPath: account.org_unit_path },
    });
    return { row, taken: true };
  });
}

/**
 * The cloud account was suspended (or its county identity departed) or reactivated: Google
 * follows through a sync job. Returns false when nothing changed. `db` may be a transaction.
 */
export async function setCloudState(
  db: Db,
  sub: string,
  state: 'active' | 'suspended',
  actor: string,
  reason: string,
): Promise<boolean> {
  const apply = async (tx: Db) => {
    const account = await tx
      .selectFrom('workspace_accounts')
      .selectAll()
      .where('cloud_sub', '=', sub)
      .forUpdate()
      .executeTakeFirst();
    if (!account || account.cloud_state === state) return false;
    const version = account.sync_version + 1;
    await tx
      .updateTable('workspace_accounts')
      .set({ cloud_state: state, sync_version: version, updated_at: new Date() })
      .where('cloud_sub', '=', sub)
      .execute();
    if (account.state === 'active') {
      await enqueueJob(tx, SYNC_JOB, { sub }, { idempotencyKey: syncKey(sub, version), maxAttempts: 20 });
    }
    await recordAudit(tx, {
      actor,
      action: state === 'suspended' ? 'workspace.cloud.suspended' : 'workspace.cloud.reactivated',
      target: account.google_email,
      details: { sub, reason },
    });
    return true;
  };
  // Inside a caller's transaction (a security event being received), or in one of its own.
  return db.isTransaction ? apply(db) : db.transaction().execute(apply);
}
