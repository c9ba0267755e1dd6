import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { statement } from '../../platform/database/statement.ts';
import type { Account } from '../accounts/repository.ts';
import type { CountyDatabase } from '../schema.ts';
import type { County } from '../services.ts';
import { signedInSession, startSignedInSession } from './session.ts';

/**
 * Writes a sign-in the password check allowed (see accounts/authenticate.ts). Each owner gives its
 * part and the parts commit together in one statement: the account (sign-in time, upgraded hash),
 * the audit log, the account's list of sessions (a new row) and the browser session (its row, when
 * the session store keeps rows in this database: `Session.prepareSignIn`). A session store
 * elsewhere (Redis) writes its own part after the statement. Returns the account as updated.
 */
export async function recordSignIn(
  county: County,
  request: FastifyRequest,
  signIn: { account: Account; newHash: string | undefined; ip: string; userAgent?: string | undefined },
): Promise<Account> {
  const { account, newHash } = signIn;
  const sessionId = randomBytes(18).toString('base64url');
  const at = new Date();
  const browser = request.session.prepareSignIn(signedInSession(account, sessionId));
  const [signedIn] = await signInStatement(county.db, {
    accountId: account.id,
    tenant: account.tenant,
    username: account.username,
    ip: signIn.ip,
    userAgent: (signIn.userAgent ?? '').slice(0, 300),
    sessionId,
    at,
    newHash: newHash ?? null,
    details: JSON.stringify(newHash ? { rehashed: true } : {}),
    browserSession: browser?.row.id ?? null,
    browserSessionData: browser?.row.data ?? null,
    browserSessionExpires: browser?.row.expires ?? null,
    replacedBrowserSession: browser?.row.previous ?? null,
  });
  // The account row read a moment ago is gone: no sign-in.
  if (!signedIn) throw new Error('the account vanished during sign-in');
  const updated = { ...account, last_login_at: at, ...(newHash ? { password_hash: newHash } : {}) };
  if (browser) browser.commit();
  else startSignedInSession(request, updated, sessionId);
  request.countyAccount = updated;
  return updated;
}

/**
 * One statement: the sign-in time (and the upgraded hash, when there is one), the audit record,
 * the account's new row in its list of sessions and, when given, the browser session's row (in
 * place of the one it replaces: the row `DatabaseSessionStore.replace` would write) commit
 * together. Compiled once (see statement.ts).
 */
const signInStatement = statement(
  (
    db: Kysely<CountyDatabase>,
    v: {
      accountId: string;
      tenant: string;
      username: string;
      ip: string;
      userAgent: string;
      sessionId: string;
      at: Date;
      newHash: string | null;
      details: string;
      browserSession: string | null;
      browserSessionData: string | null;
      browserSessionExpires: Date | null;
      replacedBrowserSession: string | null;
    },
  ) =>
    db
      .with('signed_in', (q) =>
        q
          .updateTable('county_accounts')
          .set({ last_login_at: v.at, password_hash: sql<string>`coalesce(${v.newHash}, password_hash)` })
          .where('id', '=', v.accountId)
          .returning('id'),
      )
      .with('audited', (q) =>
        q.insertInto('audit_log').values({
          tenant: v.tenant,
          actor: v.username,
          action: 'login.succeeded',
          target: v.accountId,
          ip: v.ip,
          details: v.details,
        }),
      )
      .with('listed', (q) =>
        q.insertInto('county_account_sessions').values({
          id: v.sessionId,
          tenant: v.tenant,
          account_id: v.accountId,
          ip: v.ip,
          user_agent: v.userAgent,
          revoked_at: null,
        }),
      )
      .with('replaced', (q) => q.deleteFrom('sessions').where('id', '=', v.replacedBrowserSession))
      .with('started', (q) =>
        q
          .insertInto('sessions')
          .columns(['id', 'data', 'expires_at'])
          .expression(
            db
              .selectNoFrom([
                sql<string>`${v.browserSession}::text`.as('id'),
                sql<string>`${v.browserSessionData}::jsonb`.as('data'),
                sql<Date>`${v.browserSessionExpires}::timestamptz`.as('expires_at'),
              ])
              .where(sql<boolean>`${v.browserSession}::text is not null`),
          ),
      )
      .selectFrom('signed_in')
      .select('id'),
);
