// 「登入紀錄」: a teacher's browser sessions on the portal, and ending them from another browser.
import type { Selectable } from 'kysely';
import { auditAccount, type CountyTx } from '../db.ts';
import { revokeSessions } from '../login/session.ts';
import type { CountyTables } from '../schema.ts';
import type { County } from '../services.ts';
import type { Tenant } from '../tenants/tenants.ts';
import type { Account } from './repository.ts';

export type AccountSession = Selectable<CountyTables['county_account_sessions']>;

/** A session not seen for this long has ended by itself. */
const SESSION_TTL_MS = 8 * 3600_000;

/** The account's sessions that have not ended, the most recently seen first. */
export function liveSessionsOf(db: CountyTx, accountId: string): Promise<AccountSession[]> {
  return db
    .selectFrom('county_account_sessions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .where('last_seen_at', '>', new Date(Date.now() - SESSION_TTL_MS))
    .orderBy('last_seen_at', 'desc')
    .execute();
}

/**
 * Ends one session of the account, with its audit record, and what was signed in with it (the
 * OIDC provider's session). False when the account has no such session standing.
 */
export async function revokeSession(
  county: County,
  tenant: Tenant,
  account: Account,
  sessionId: string,
  ip: string,
): Promise<boolean> {
  const revoked = await county.db.transaction().execute(async (tx) => {
    const row = await tx
      .updateTable('county_account_sessions')
      .set({ revoked_at: new Date() })
      .where('id', '=', sessionId)
      .where('account_id', '=', account.id)
      .where('revoked_at', 'is', null)
      .returning('oidc_session_uid')
      .executeTakeFirst();
    if (row) await auditAccount(tx, account, { actor: account.username, action: 'session.revoked', ip });
    return row;
  });
  if (!revoked) return false;
  const uids = revoked.oidc_session_uid ? [revoked.oidc_session_uid] : [];
  await county.signOuts.sessions(tenant.code, account.id, uids);
  return true;
}

/**
 * Ends every session of the account but `current` (the browser asking), with one audit record
 * counting them, and what was signed in with them.
 */
export async function revokeOtherSessions(
  county: County,
  tenant: Tenant,
  account: Account,
  current: string | undefined,
  ip: string,
): Promise<void> {
  let othersQuery = county.db
    .selectFrom('county_account_sessions')
    .select('oidc_session_uid')
    .where('account_id', '=', account.id)
    .where('revoked_at', 'is', null)
    .where('oidc_session_uid', 'is not', null);
  if (current !== undefined) othersQuery = othersQuery.where('id', '<>', current);
  const others = await othersQuery.execute();
  await county.db.transaction().execute(async (tx) => {
    const count = await revokeSessions(tx, account.id, current);
    await auditAccount(tx, account, {
      actor: account.username,
      action: 'session.revoked',
      ip,
      details: { count },
    });
  });
  await county.signOuts.sessions(
    tenant.code,
    account.id,
    others.flatMap((row) => (row.oidc_session_uid ? [row.oidc_session_uid] : [])),
  );
}
