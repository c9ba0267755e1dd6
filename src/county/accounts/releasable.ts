import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Notifications } from '../../platform/database/notifications.ts';
import { NotifiedCache } from '../../platform/database/notified-cache.ts';
import { statement } from '../../platform/database/statement.ts';
import { SignInCopies, type SignInRow } from '../../platform/oidc/index.ts';
import type { CountyTx } from '../db.ts';
import type { CountyDatabase } from '../schema.ts';
import { RELEASED_ACCOUNT_COLUMNS, type ReleasableAccount } from './claims.ts';
import { isAccountId, sessionRowWithAccount } from './repository.ts';

// Read by every authorization (and token, when not kept), compiled once (see statement.ts).
const releasableById = statement((db: Kysely<CountyDatabase>, v: { id: string }) =>
  db.selectFrom('county_accounts').select(RELEASED_ACCOUNT_COLUMNS).where('id', '=', v.id),
);

// Read by every authorization of a signed-in browser: the portal's session row with its account.
const releasableBySession = statement((db: Kysely<CountyDatabase>, v: { id: string; sessionId: string }) =>
  sessionRowWithAccount(db, v)
    .select(RELEASED_ACCOUNT_COLUMNS.map((column) => `a.${column}` as const))
    .select('s.oidc_session_uid as session_oidc_uid'),
);

function findReleasableAccount(db: CountyTx, id: string): Promise<ReleasableAccount | undefined> {
  // The `status` column is the account's `state` (see `accountFromRow`).
  return releasableById(db, { id }).then(([row]) => {
    if (!row) return undefined;
    const { status, ...account } = row;
    return { ...account, state: status };
  });
}

/**
 * The accounts a county's OIDC provider releases, as it reads them: from this node's copy for
 * tokens, userinfo and resource APIs (what a relying party calls over and over) and for the
 * authorization of a signed-in browser, with the browser's sign-in row (`withSignIn`); `fresh`
 * from the database for an authorization that follows a password (and kept for the code exchange
 * that follows). The copies hold only what nobody changed: every change of an account (a
 * suspension, a departure, a transfer, a profile edit; not a sign-in) and every change of a
 * sign-in row an authorization checks (revoked, linked to a provider session), made on any node by
 * any writer, is announced by the tables' triggers (migrations `1060_county_account_changes`,
 * `1070_county_sign_in_changes`) and drops the copy from every node at once. While the node does
 * not hear the announcements it reads the database every time.
 */
export class ReleasableAccounts {
  readonly #db: CountyTx;
  readonly #copy: NotifiedCache<ReleasableAccount>;
  readonly #signIns: SignInCopies<ReleasableAccount>;

  constructor(db: CountyTx) {
    this.#db = db;
    this.#copy = new NotifiedCache({ load: (id) => findReleasableAccount(db, id) });
    this.#signIns = new SignInCopies(this.#copy);
  }

  /** Starts following the announced changes (until then, and without `notifications`, reads every time). */
  async follow(notifications: Notifications, log: Logger): Promise<void> {
    const unheard = 'account changes are not heard: the OIDC provider reads every account';
    const db = this.#db as Kysely<unknown>;
    await this.#copy.followTable(db, 'accounts', notifications, log, unheard);
    await this.#signIns.follow(db, 'account_sessions', notifications, log);
  }

  async close(): Promise<void> {
    await Promise.all([this.#copy.close(), this.#signIns.close()]);
  }

  /** The account as it is now (kept for the tokens that follow: a code is exchanged moments later). */
  async fresh(tenant: string, id: string): Promise<ReleasableAccount | undefined> {
    if (!isAccountId(id)) return undefined;
    const account = await this.#copy.refresh(id);
    return account?.tenant === tenant ? account : undefined;
  }

  /**
   * The account with its browser session row `sessionId` (what an authorization of a signed-in
   * browser reads): this node's copies while neither changed, else both in one statement.
   * Undefined when the account has no such row.
   */
  async withSignIn(
    tenant: string,
    id: string,
    sessionId: string,
  ): Promise<{ account: ReleasableAccount; signIn: SignInRow } | undefined> {
    if (!isAccountId(id)) return undefined;
    const found = await this.#signIns.signIn(sessionId, id, async () => {
      const [row] = await releasableBySession(this.#db as Kysely<CountyDatabase>, { id, sessionId });
      if (!row) return undefined;
      const { session_revoked_at, session_oidc_uid, status, ...rest } = row;
      return {
        account: { ...rest, state: status },
        signIn: { revoked: session_revoked_at !== null, oidcSessionUid: session_oidc_uid },
      };
    });
    return found?.account.tenant === tenant ? found : undefined;
  }

  /** Drops this node's copy of sign-in row `sessionId` (its own write; other nodes hear the trigger). */
  forgetSignIn(sessionId: string): void {
    this.#signIns.forget(sessionId);
  }

  /** The account as this node keeps it (no change announced since it was read). */
  async current(tenant: string, id: string): Promise<ReleasableAccount | undefined> {
    if (!isAccountId(id)) return undefined;
    const account = await this.#copy.get(id);
    return account?.tenant === tenant ? account : undefined;
  }
}
