import type { AccountRow, Db } from '../provisioning/provision-account.ts';
import type { ActivationState } from '../schema.ts';
import { ACTIVATION } from './transitions.ts';

/** The portal's reads of its teachers' accounts and of its administrators. */

/** The account of a teacher, by the cloud's `sub`. */
export function accountBySub(db: Db, sub: string): Promise<AccountRow | undefined> {
  return db.selectFrom('workspace_accounts').selectAll().where('cloud_sub', '=', sub).executeTakeFirst();
}

/** The account of a teacher, by the cloud's username. */
export function accountByUsername(db: Db, username: string): Promise<AccountRow | undefined> {
  return db
    .selectFrom('workspace_accounts')
    .selectAll()
    .where('cloud_username', '=', username)
    .executeTakeFirst();
}

/**
 * The Google address provisioned or adopted for the cloud account `sub`: only an active account
 * whose Google user carries that sub as its external id (activation refuses any other user).
 */
export async function provisionedAddress(db: Db, sub: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('workspace_accounts')
    .select('google_email')
    .where('cloud_sub', '=', sub)
    .where('state', '=', 'active')
    .where('google_user_id', 'is not', null)
    .executeTakeFirst();
  return row?.google_email;
}

/** Whether an account of the portal has (or will have) the Google address `email`. */
export async function addressRecorded(db: Db, email: string): Promise<boolean> {
  const row = await db
    .selectFrom('workspace_accounts')
    .select('cloud_sub')
    .where('google_email', '=', email)
    .executeTakeFirst();
  return row !== undefined;
}

/** Every account (or those in one activation state), by username, as the admin API lists them. */
export function listAccounts(db: Db, state?: ActivationState) {
  return db
    .selectFrom('workspace_accounts')
    .select([
      'cloud_sub',
      'cloud_username',
      'google_email',
      'state',
      'cloud_state',
      'google_suspended',
      'org_unit_path',
      'last_error',
    ])
    .$if(state !== undefined, (q) => q.where('state', '=', state as ActivationState))
    .orderBy('cloud_username')
    .execute();
}

/**
 * The accounts an administrator should look at: those a retry can move (conflict, failed), the
 * latest change first.
 */
export function accountsNeedingAttention(db: Db): Promise<AccountRow[]> {
  return db
    .selectFrom('workspace_accounts')
    .selectAll()
    .where('state', 'in', ACTIVATION.from('retry'))
    .orderBy('updated_at', 'desc')
    .execute();
}

/** Whether the education cloud username administers the portal. */
export async function isAdmin(db: Db, cloudUsername: string): Promise<boolean> {
  const row = await db
    .selectFrom('workspace_admins')
    .select('cloud_username')
    .where('cloud_username', '=', cloudUsername)
    .executeTakeFirst();
  return Boolean(row);
}

/** The portal's administrators (education cloud usernames). */
export async function listAdmins(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('workspace_admins')
    .select('cloud_username')
    .orderBy('cloud_username')
    .execute();
  return rows.map((row) => row.cloud_username);
}
