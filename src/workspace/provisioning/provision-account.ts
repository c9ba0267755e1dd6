import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Logger } from 'pino';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import type { PlatformTables } from '../../platform/database/platform-schema.ts';
import type { ClaimedJob } from '../../platform/jobs/queue.ts';
import { backoffMs } from '../../platform/jobs/queue.ts';
import { PermanentFailure, RetryLater } from '../../platform/jobs/runner.ts';
import { activations } from '../activation/store.ts';
import { ACTIVATION } from '../activation/transitions.ts';
import type { WorkspaceTables } from '../schema.ts';
import { type DirectoryClient, DirectoryFailure, type GoogleUser } from './directory-client.ts';
import { EXTERNAL_ID_CUSTOM_TYPE, EXTERNAL_ID_TYPE } from './jobs.ts';

export type Db = Kysely<WorkspaceTables & PlatformTables>;
export type AccountRow = Selectable<WorkspaceTables['workspace_accounts']>;

export interface ProvisioningDeps {
  db: Db;
  directory: DirectoryClient;
  log: Logger;
  /** Test seam: called after each step that changed Google, before the database records it. */
  afterStep?: (step: 'user_inserted' | 'user_patched') => void | Promise<void>;
}

/** True when the Google user carries this cloud account's immutable external id. */
export function belongsTo(user: GoogleUser, sub: string): boolean {
  return (
    (user.externalIds as Array<{ type?: string; customType?: string; value?: string }> | undefined)?.some(
      (id) => id.customType === EXTERNAL_ID_CUSTOM_TYPE && id.value === sub,
    ) ?? false
  );
}

/** Retry delay: Google's Retry-After when it sent one, else jittered exponential backoff. */
export function retryDelay(failure: DirectoryFailure, attempt: number): number {
  if (failure.retryAfterMs !== undefined) return failure.retryAfterMs + Math.round(Math.random() * 250);
  if (failure.kind === 'notReady' || failure.kind === 'notFound') return backoffMs(attempt, 1000, 30_000);
  return backoffMs(attempt, 1000, 10 * 60_000);
}

/** Org units `/{county}` then `/{county}/{school}`, created when missing (remembered once created). */
export async function ensureOrgUnit(deps: ProvisioningDeps, path: string): Promise<void> {
  if (path === '/') return;
  const known = await deps.db
    .selectFrom('workspace_org_units')
    .select('path')
    .where('path', '=', path)
    .executeTakeFirst();
  if (known) return;
  const parts = path.split('/').filter(Boolean);
  let parent = '/';
  for (const name of parts) {
    const current = `${parent === '/' ? '' : parent}/${name}`;
    const done = await deps.db
      .selectFrom('workspace_org_units')
      .select('path')
      .where('path', '=', current)
      .executeTakeFirst();
    if (!done) {
      if (!(await deps.directory.orgUnitExists(current))) await deps.directory.insertOrgUnit(name, parent);
      await deps.db
        .insertInto('workspace_org_units')
        .values({ path: current })
        .onConflict((oc) => oc.column('path').doNothing())
        .execute();
    }
    parent = current;
  }
}

/** A password nobody knows (sign-in is SAML SSO): the SHA-1 of random bytes, sent as a hash. */
function unusablePassword() {
  return { password: createHash('sha1').update(randomBytes(32)).digest('hex'), hashFunction: 'SHA-1' };
}

function newUser(account: AccountRow): GoogleUser {
  return {
    primaryEmail: account.google_email,
    name: { givenName: account.given_name.slice(0, 60), familyName: account.family_name.slice(0, 60) },
    orgUnitPath: account.org_unit_path,
    externalIds: [{ type: EXTERNAL_ID_TYPE, customType: EXTERNAL_ID_CUSTOM_TYPE, value: account.cloud_sub }],
    suspended: account.cloud_state === 'suspended',
    ...unusablePassword(),
  };
}

async function markConflict(deps: ProvisioningDeps, account: AccountRow, found: GoogleUser): Promise<never> {
  const message = `${account.google_email} already belongs to another Google user (id ${found.id ?? '?'}) without this cloud account's external id`;
  await deps.db.transaction().execute(async (tx) => {
    const marked = await activations.take(tx, account.cloud_sub, 'conflict', {
      last_error: message,
      updated_at: new Date(),
    });
    if (!marked) return;
    await recordAudit(tx, {
      actor: 'system',
      action: 'workspace.activation.conflict',
      target: account.google_email,
      details: { sub: account.cloud_sub, googleId: found.id ?? null },
    });
  });
  throw new PermanentFailure(message);
}

/**
 * Finds the account's Google user, creating it when Google does not know the address. Safe to run
 * any number of times, from any point a previous run stopped: `users.get` first; a 409 on insert
 * (our own earlier insert whose response was lost) is resolved by reading the user back and
 * checking its external id; 404/412 right after a create mean "not visible yet", retried later.
 */
export async function findOrCreateUser(deps: ProvisioningDeps, account: AccountRow): Promise<GoogleUser> {
  const existing = await deps.directory.getUser(account.google_email);
  if (existing)
    return belongsTo(existing, account.cloud_sub) ? existing : markConflict(deps, account, existing);
  try {
    const created = await deps.directory.insertUser(newUser(account));
    await deps.afterStep?.('user_inserted');
    return created;
  } catch (error) {
    if (!(error instanceof DirectoryFailure) || error.kind !== 'duplicate') throw error;
    const found = await deps.directory.getUser(account.google_email);
    if (!found) {
      throw new DirectoryFailure(
        'notReady',
        `${account.google_email} exists but is not visible yet (409 then 404)`,
      );
    }
    return belongsTo(found, account.cloud_sub) ? found : markConflict(deps, account, found);
  }
}

/** Brings suspension and org unit of an existing Google user in line with the account. */
async function alignUser(deps: ProvisioningDeps, account: AccountRow, user: GoogleUser): Promise<GoogleUser> {
  const changes: GoogleUser = {};
  const suspended = account.cloud_state === 'suspended';
  if ((user.suspended ?? false) !== suspended) changes.suspended = suspended;
  if (user.orgUnitPath && user.orgUnitPath !== account.org_unit_path)
    changes.orgUnitPath = account.org_unit_path;
  if (Object.keys(changes).length === 0) return user;
  const patched = await deps.directory.patchUser(user.id ?? account.google_email, changes);
  await deps.afterStep?.('user_patched');
  return patched;
}

async function loadAccount(db: Db, sub: string): Promise<AccountRow | undefined> {
  return db.selectFrom('workspace_accounts').selectAll().where('cloud_sub', '=', sub).executeTakeFirst();
}

/** Keeps the failure's message; the last attempt also fails the activation (`fail`). */
async function recordFailure(deps: ProvisioningDeps, sub: string, failure: DirectoryFailure, final: boolean) {
  const change = { last_error: failure.message.slice(0, 1000), updated_at: new Date() };
  if (final) await activations.take(deps.db, sub, 'fail', change);
  else await deps.db.updateTable('workspace_accounts').set(change).where('cloud_sub', '=', sub).execute();
}

/** Translates a Directory failure into what the job queue understands. */
async function settle(deps: ProvisioningDeps, sub: string, error: unknown, job: ClaimedJob): Promise<never> {
  if (!(error instanceof DirectoryFailure)) throw error;
  if (error.kind === 'permanent' || error.kind === 'duplicate') {
    await recordFailure(deps, sub, error, true);
    throw new PermanentFailure(error.message);
  }
  const final = job.attempts >= job.maxAttempts;
  await recordFailure(deps, sub, error, final);
  throw new RetryLater(error.message, retryDelay(error, job.attempts));
}

/** Job `workspace.activate`: create (or adopt) the account's Google user and record it. */
export async function activateAccount(deps: ProvisioningDeps, sub: string, job: ClaimedJob): Promise<void> {
  const account = await loadAccount(deps.db, sub);
  if (!account || !ACTIVATION.allows(account.state, 'activate')) return;
  try {
    await ensureOrgUnit(deps, account.org_unit_path);
    const user = await alignUser(deps, account, await findOrCreateUser(deps, account));
    await deps.db.transaction().execute(async (tx) => {
      const activated = await activations.take(tx, sub, 'activate', {
        google_user_id: user.id ?? null,
        google_suspended: user.suspended ?? false,
        last_error: null,
        activated_at: new Date(),
        updated_at: new Date(),
      });
      // Activated meanwhile by another run of the job (its failed one retried from the console).
      if (!activated) return;
      await recordAudit(tx, {
        actor: 'system',
        action: 'workspace.activation.completed',
        target: account.google_email,
        details: { sub, googleId: user.id ?? null, orgUnitPath: account.org_unit_path },
      });
    });
    deps.log.info({ sub, email: account.google_email }, 'workspace account activated');
  } catch (error) {
    await settle(deps, sub, error, job);
  }
}

/** Job `workspace.sync`: Google follows the cloud account's state (suspended or not). */
export async function syncAccount(deps: ProvisioningDeps, sub: string, job: ClaimedJob): Promise<void> {
  const account = await loadAccount(deps.db, sub);
  if (account?.state !== 'active') return;
  try {
    const user = await deps.directory.getUser(account.google_user_id ?? account.google_email);
    if (!user) throw new DirectoryFailure('notReady', `${account.google_email} not visible in Google`);
    if (!belongsTo(user, sub)) await markConflict(deps, account, user);
    const aligned = await alignUser(deps, account, user);
    await deps.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('workspace_accounts')
        .set({ google_suspended: aligned.suspended ?? false, last_error: null, updated_at: new Date() })
        .where('cloud_sub', '=', sub)
        .execute();
      await recordAudit(tx, {
        actor: 'system',
        action: aligned.suspended ? 'workspace.google.suspended' : 'workspace.google.unsuspended',
        target: account.google_email,
        details: { sub },
      });
    });
  } catch (error) {
    await settle(deps, sub, error, job);
  }
}
