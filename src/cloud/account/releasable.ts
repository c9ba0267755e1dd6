import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Notifications } from '../../platform/database/notifications.ts';
import { NotifiedCache } from '../../platform/database/notified-cache.ts';
import { SignInCopies, type SignInRow } from '../../platform/oidc/index.ts';
import type { CloudDb } from '../db.ts';
import type { AccountWithIdentities, CloudAccounts } from './accounts.ts';

/**
 * The accounts the cloud's OIDC provider releases, with their county identities (for `eduinfo`):
 * from this node's copy for tokens, userinfo and resource APIs and for the authorization of a
 * signed-in browser, with the browser's sign-in row (`withSignIn`); `fresh` from the database for
 * an authorization that follows a sign-in. The copies hold only what nobody changed: every change
 * of an account or of one of its identities (a suspension, a county sign-in refreshing its data, a
 * link or unlink) and every change of a sign-in row an authorization checks (revoked, linked to a
 * provider session), made on any node by any writer, is announced by the tables' triggers
 * (migrations `2050_cloud_account_changes`, `2080_cloud_sign_in_changes`) and drops the copy from
 * every node at once. While the node does not hear the announcements it reads the database every
 * time.
 */
export class ReleasableAccounts {
  readonly #db: CloudDb;
  readonly #copy: NotifiedCache<AccountWithIdentities>;
  readonly #signIns: SignInCopies<AccountWithIdentities>;

  constructor(db: CloudDb, accounts: CloudAccounts) {
    this.#db = db;
    this.#copy = new NotifiedCache({ load: (id) => accounts.withIdentities(id) });
    this.#signIns = new SignInCopies(this.#copy);
  }

  /** Starts following the announced changes (until then, reads every time). */
  async follow(notifications: Notifications, log: Logger): Promise<void> {
    const db = this.#db as unknown as Kysely<unknown>;
    const unheard = 'account changes are not heard: the OIDC provider reads every account';
    await this.#copy.followTable(db, 'cloud_accounts', notifications, log, unheard);
    await this.#signIns.follow(db, 'cloud_sessions', notifications, log);
  }

  async close(): Promise<void> {
    await Promise.all([this.#copy.close(), this.#signIns.close()]);
  }

  /** The account as it is now (kept for the tokens that follow: a code is exchanged moments later). */
  fresh(id: string): Promise<AccountWithIdentities | undefined> {
    return this.#copy.refresh(id);
  }

  /**
   * The account with its browser's sign-in row `sessionId` (what an authorization of a signed-in
   * browser reads): this node's copies while neither changed, else as `read` brings both now.
   */
  withSignIn(
    sessionId: string,
    accountId: string,
    read: () => Promise<{ signIn: SignInRow; account: AccountWithIdentities } | undefined>,
  ): Promise<{ signIn: SignInRow; account: AccountWithIdentities } | undefined> {
    return this.#signIns.signIn(sessionId, accountId, read);
  }

  /** Drops this node's copy of sign-in row `sessionId` (its own write; other nodes hear the trigger). */
  forgetSignIn(sessionId: string): void {
    this.#signIns.forget(sessionId);
  }

  /** The account as this node keeps it (no change announced since it was read). */
  current(id: string): Promise<AccountWithIdentities | undefined> {
    return this.#copy.get(id);
  }
}
