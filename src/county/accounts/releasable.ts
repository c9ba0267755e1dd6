import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Notifications } from '../../platform/database/notifications.ts';
import { NotifiedCache } from '../../platform/database/notified-cache.ts';
import { statement } from '../../platform/database/statement.ts';
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

/** The browser sign-in a session row records, as an authorization checks it. */
export interface SignInRow {
  /** Revoked (signed out, ended on the sessions page, password changed): the sign-in no longer stands. */
  revoked: boolean;
  /** The county OIDC provider's session linked to the row, if any. */
  oidcSessionUid: string | null;
}

function findReleasableAccount(db: CountyTx, id: string): Promise<ReleasableAccount | undefined> {
  // The `status` column is the account's `state` (see `accountFromRow`).
  return releasableById(db, { id }).then(([row]) => {
    if (!row) return undefined;
    const { status, ...account } = row;
    return { ...account, state: status };
  });
}

/**
 * The accounts a county's OIDC provider releases, as it reads them: `current` from this node's
 * copy for tokens, userinfo and resource APIs (what a relying party calls over and over), `fresh`
 * from the database for an authorization (and kept for the code exchange that follows). The copy holds only what nobody changed: every change of
 * an account (a suspension, a departure, a transfer, a profile edit; not a sign-in), made on any
 * node by any writer, is announced by the table's trigger (migration `1060_county_account_changes`)
 * and drops the account from every node's copy at once. While the node does not hear the
 * announcements (its listening connection is down) it reads the database every time.
 */
export class ReleasableAccounts {
  readonly #db: CountyTx;
  readonly #copy: NotifiedCache<ReleasableAccount>;

  constructor(db: CountyTx) {
    this.#db = db;
    this.#copy = new NotifiedCache({ load: (id) => findReleasableAccount(db, id) });
  }

  /** Starts following the announced changes (until then, and without `notifications`, reads every time). */
  async follow(notifications: Notifications, log: Logger): Promise<void> {
    const unheard = 'account changes are not heard: the OIDC provider reads every account';
    await this.#copy.followTable(this.#db as Kysely<unknown>, 'accounts', notifications, log, unheard);
  }

  close(): Promise<void> {
    return this.#copy.close();
  }

  /** The account as it is now (kept for the tokens that follow: a code is exchanged moments later). */
  async fresh(tenant: string, id: string): Promise<ReleasableAccount | undefined> {
    if (!isAccountId(id)) return undefined;
    const account = await this.#copy.refresh(id);
    return account?.tenant === tenant ? account : undefined;
  }

  /**
   * The account as it is now with its browser session row `sessionId`, in one statement (what an
   * authorization of a signed-in browser reads); the account is kept as `fresh` keeps it.
   * Undefined when the account has no such row.
   */
  async freshWithSignIn(
    tenant: string,
    id: string,
    sessionId: string,
  ): Promise<{ account: ReleasableAccount; signIn: SignInRow } | undefined> {
    if (!isAccountId(id)) return undefined;
    let signIn: SignInRow | undefined;
    const account = await this.#copy.refreshWith(id, async () => {
      const [row] = await releasableBySession(this.#db as Kysely<CountyDatabase>, { id, sessionId });
      if (!row) return undefined;
      const { session_revoked_at, session_oidc_uid, status, ...rest } = row;
      signIn = { revoked: session_revoked_at !== null, oidcSessionUid: session_oidc_uid };
      return { ...rest, state: status };
    });
    return account?.tenant === tenant && signIn ? { account, signIn } : undefined;
  }

  /** The account as this node keeps it (no change announced since it was read). */
  async current(tenant: string, id: string): Promise<ReleasableAccount | undefined> {
    if (!isAccountId(id)) return undefined;
    const account = await this.#copy.get(id);
    return account?.tenant === tenant ? account : undefined;
  }
}
