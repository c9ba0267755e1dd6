import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { statement } from '../../platform/database/statement.ts';
import type { SignInRow } from '../../platform/oidc/index.ts';
import type { CloudDatabase, CloudDb, CloudTx } from '../db.ts';
import type { CloudTables } from '../schema.ts';
import {
  type AccountWithIdentities,
  accountWithIdentitiesFromRow,
  type CloudAccount,
  cloudAccountFromRow,
  identitiesColumn,
} from './accounts.ts';

export type BrowserSession = Selectable<CloudTables['cloud_sessions']>;

/** A county login's session at the county: what its back-channel logout names. */
export interface CountySignIn {
  code: string;
  sid: string | null;
  sub: string;
}

/** The browser's row `id` of account `accountId` joined with the account: when it was revoked and last seen. */
const rowWithAccount = (db: Kysely<CloudDatabase>, v: { id: string; accountId: string }) =>
  db
    .selectFrom('cloud_sessions as s')
    .innerJoin('cloud_accounts as a', 'a.id', 's.account_id')
    .selectAll('a')
    .select(['s.revoked_at as session_revoked_at', 's.last_seen_at as session_last_seen_at'])
    .where('s.id', '=', v.id)
    .where('s.account_id', '=', v.accountId);

// Read on every page of a signed-in browser, compiled once (statement.ts).
const liveAccount = statement(rowWithAccount);

// Read by every authorization of a signed-in browser: with the account's county identities and the
// provider session linked to the row.
const signInWithAccount = statement((db: Kysely<CloudDatabase>, v: { id: string; accountId: string }) =>
  rowWithAccount(db, v).select(identitiesColumn()).select('s.oidc_session_uid as session_oidc_uid'),
);

/** Rows are touched (`last_seen_at`) at most this often. */
const TOUCH_MS = 5 * 60_000;
/** A row unused for this long is no longer listed (the browser session expired). */
const LISTED_MS = 8 * 3600_000;

/**
 * The cloud's signed-in browsers (`cloud_sessions`): the cloud session names its row, and a
 * revoked row signs that browser out on its next request.
 */
export class BrowserSessions {
  readonly #db: CloudDb;

  constructor(db: CloudDb) {
    this.#db = db;
  }

  async start(
    accountId: string,
    where: { ip: string; userAgent: string | undefined; county?: CountySignIn | undefined },
  ): Promise<string> {
    const id = randomBytes(16).toString('base64url');
    await this.#db
      .insertInto('cloud_sessions')
      .values({
        id,
        account_id: accountId,
        county_code: where.county?.code ?? null,
        county_sid: where.county?.sid ?? null,
        county_sub: where.county?.sub ?? null,
        ip: where.ip,
        user_agent: where.userAgent?.slice(0, 300) ?? null,
      })
      .execute();
    return id;
  }

  /**
   * The row `id` of the account with the account and its county identities, in one statement: what
   * an authorization of a signed-in browser reads. A live row is touched when due. Undefined when
   * the account has no such row.
   */
  async signInWithAccount(
    id: string,
    accountId: string,
  ): Promise<{ signIn: SignInRow; account: AccountWithIdentities } | undefined> {
    const [found] = await signInWithAccount(this.#db as Kysely<CloudDatabase>, { id, accountId });
    if (!found) return undefined;
    const {
      session_revoked_at: revokedAt,
      session_last_seen_at: lastSeen,
      session_oidc_uid,
      ...account
    } = found;
    if (!revokedAt) await this.#touch(id, lastSeen);
    return {
      signIn: { revoked: revokedAt !== null, oidcSessionUid: session_oidc_uid },
      account: accountWithIdentitiesFromRow(account),
    };
  }

  /**
   * The account of the live (not revoked) row `id`, read with the row in one statement: what
   * every page of a signed-in browser asks. The row is touched when due.
   */
  async liveAccount(id: string, accountId: string): Promise<CloudAccount | undefined> {
    const [found] = await liveAccount(this.#db as Kysely<CloudDatabase>, { id, accountId });
    if (!found || found.session_revoked_at) return undefined;
    const { session_revoked_at: _revoked, session_last_seen_at: lastSeen, ...account } = found;
    await this.#touch(id, lastSeen);
    return cloudAccountFromRow(account);
  }

  /** Marks row `id` seen now, when it was last marked more than `TOUCH_MS` ago. */
  async #touch(id: string, lastSeen: Date | string): Promise<void> {
    if (Date.now() - new Date(lastSeen).getTime() <= TOUCH_MS) return;
    await this.#db
      .updateTable('cloud_sessions')
      .set({ last_seen_at: new Date() })
      .where('id', '=', id)
      .execute();
  }

  /** Records the provider session of the same browser (to end it with the row). */
  async linkOidcSession(id: string, uid: string): Promise<void> {
    await this.#db
      .updateTable('cloud_sessions')
      .set({ oidc_session_uid: uid })
      .where('id', '=', id)
      .execute();
  }

  /** The rows listed on 登入中的裝置. */
  async list(accountId: string): Promise<BrowserSession[]> {
    return this.#db
      .selectFrom('cloud_sessions')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .where('last_seen_at', '>', new Date(Date.now() - LISTED_MS))
      .orderBy('last_seen_at', 'desc')
      .execute();
  }

  /** Revokes one row of the account; returns it (undefined when there is no such live row). */
  async revoke(accountId: string, id: string, db: CloudTx = this.#db): Promise<BrowserSession | undefined> {
    return db
      .updateTable('cloud_sessions')
      .set({ revoked_at: new Date() })
      .where('id', '=', id)
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
  }

  /** Revokes every live row of the account but `except`; returns them. */
  async revokeAll(accountId: string, except?: string, db: CloudTx = this.#db): Promise<BrowserSession[]> {
    let q = db
      .updateTable('cloud_sessions')
      .set({ revoked_at: new Date() })
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null);
    if (except) q = q.where('id', '<>', except);
    return q.returningAll().execute();
  }

  /**
   * Revokes the rows of a county's session (back-channel logout): those of its `sid`, or, when
   * the logout names only the subject, every row signed in through that county subject.
   */
  async revokeCounty(
    county: string,
    logout: { sid: string | undefined; sub: string | undefined },
    db: CloudTx = this.#db,
  ): Promise<BrowserSession[]> {
    let q = db
      .updateTable('cloud_sessions')
      .set({ revoked_at: new Date() })
      .where('county_code', '=', county)
      .where('revoked_at', 'is', null);
    if (logout.sid) q = q.where('county_sid', '=', logout.sid);
    if (logout.sub) q = q.where('county_sub', '=', logout.sub);
    return q.returningAll().execute();
  }
}
