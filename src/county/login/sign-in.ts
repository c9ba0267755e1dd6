import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { statement } from '../../platform/database/statement.ts';
import type { Pass } from '../../platform/security/sign-in-guard.ts';
import type { Account } from '../accounts/repository.ts';
import type { CountyDatabase } from '../schema.ts';
import type { County } from '../services.ts';
import { signedInSession } from './session.ts';

/**
 * Writes a sign-in the password check allowed (see accounts/authenticate.ts), each owner writing
 * its part, all at once. In one statement: the account (sign-in time, upgraded hash), the audit
 * log, the account's list of sessions (a new row) and the browser session when the session store
 * keeps rows in this database (`Session.prepareSignIn`). Beside it, a session store elsewhere
 * (Redis) writes its own part and the sign-in budgets settle the attempt (`pass`): with Redis
 * those two go out in one round trip, while the statement runs. The browser gets its session
 * only once all have succeeded. Returns the account as updated.
 */
export async function recordSignIn(
  county: County,
  request: FastifyRequest,
  signIn: {
    account: Account;
    newHash: string | undefined;
    ip: string;
    userAgent?: string | undefined;
    pass: Pass;
  },
): Promise<Account> {
  const { account, newHash } = signIn;
  const sessionId = randomBytes(18).toString('base64url');
  const at = new Date();
  const browser = request.session.prepareSignIn(signedInSession(account, sessionId));
  const values: SignInValues = {
    accountId: account.id,
    tenant: account.tenant,
    username: account.username,
    ip: signIn.ip,
    userAgent: (signIn.userAgent ?? '').slice(0, 300),
    sessionId,
    at,
    newHash: newHash ?? null,
    details: JSON.stringify(newHash ? { rehashed: true } : {}),
  };
  const row = browser.row;
  const [[signedIn]] = await Promise.all([
    row
      ? signInWithSessionRow(county.db, {
          ...values,
          browserSession: row.id,
          browserSessionData: row.data,
          browserSessionExpires: row.expires,
          replacedBrowserSession: row.previous,
        })
      : signInStatement(county.db, values),
    browser.save(),
    county.signInGuard(account.tenant).succeeded(signIn.pass),
  ]);
  // The account row read a moment ago is gone: no sign-in.
  if (!signedIn) throw new Error('the account vanished during sign-in');
  browser.commit();
  const updated = { ...account, last_login_at: at, ...(newHash ? { password_hash: newHash } : {}) };
  request.countyAccount = updated;
  return updated;
}

interface SignInValues {
  accountId: string;
  tenant: string;
  username: string;
  ip: string;
  userAgent: string;
  sessionId: string;
  at: Date;
  newHash: string | null;
  details: string;
}

/** The browser session's row (in place of the one it replaces), when sessions are rows. */
interface SessionRowValues {
  browserSession: string;
  browserSessionData: string;
  browserSessionExpires: Date;
  replacedBrowserSession: string | null;
}

/** The sign-in time (and the upgraded hash), the audit record and the new row in the list of sessions. */
const signInParts = (db: Kysely<CountyDatabase>, v: SignInValues) =>
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
    );

/**
 * One statement, compiled once (see statement.ts): the sign-in's parts commit together; with the
 * browser session's row too when sessions are rows of this database (the row
 * `DatabaseSessionStore.replace` would write). Two statements rather than one with the session's
 * part switched off by its values: PostgreSQL keeps one plan for each, and runs no part for nothing.
 */
const signInStatement = statement((db: Kysely<CountyDatabase>, v: SignInValues) =>
  signInParts(db, v).selectFrom('signed_in').select('id'),
);
const signInWithSessionRow = statement((db: Kysely<CountyDatabase>, v: SignInValues & SessionRowValues) =>
  signInParts(db, v)
    .with('replaced', (q) => q.deleteFrom('sessions').where('id', '=', v.replacedBrowserSession))
    .with('started', (q) =>
      q
        .insertInto('sessions')
        .values({ id: v.browserSession, data: v.browserSessionData, expires_at: v.browserSessionExpires }),
    )
    .selectFrom('signed_in')
    .select('id'),
);
