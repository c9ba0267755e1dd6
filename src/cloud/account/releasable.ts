import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Notifications } from '../../platform/database/notifications.ts';
import { NotifiedCache } from '../../platform/database/notified-cache.ts';
import type { CloudDb } from '../db.ts';
import type { AccountWithIdentities, CloudAccounts } from './accounts.ts';

/**
 * The accounts the cloud's OIDC provider releases, with their county identities (for `eduinfo`):
 * `current` from this node's copy for tokens, userinfo and resource APIs, `fresh` from the
 * database for an authorization. The copy holds only what nobody changed: every change of an
 * account or of one of its identities (a suspension, a county sign-in refreshing its data, a link
 * or unlink), made on any node by any writer, is announced by the tables' triggers (migration
 * `2050_cloud_account_changes`) and drops the account from every node's copy at once. While the
 * node does not hear the announcements it reads the database every time.
 */
export class ReleasableAccounts {
  readonly #db: CloudDb;
  readonly #copy: NotifiedCache<AccountWithIdentities>;

  constructor(db: CloudDb, accounts: CloudAccounts) {
    this.#db = db;
    this.#copy = new NotifiedCache({ load: (id) => accounts.withIdentities(id) });
  }

  /** Starts following the announced changes (until then, reads every time). */
  async follow(notifications: Notifications, log: Logger): Promise<void> {
    const db = this.#db as unknown as Kysely<unknown>;
    const unheard = 'account changes are not heard: the OIDC provider reads every account';
    await this.#copy.followTable(db, 'cloud_accounts', notifications, log, unheard);
  }

  close(): Promise<void> {
    return this.#copy.close();
  }

  /** The account as it is now (kept for the tokens that follow: a code is exchanged moments later). */
  fresh(id: string): Promise<AccountWithIdentities | undefined> {
    return this.#copy.refresh(id);
  }

  /**
   * The account as `read` brings it now, along with something else (a browser's sign-in row); kept
   * as `fresh` keeps it.
   */
  freshAlong(
    id: string,
    read: () => Promise<AccountWithIdentities | undefined>,
  ): Promise<AccountWithIdentities | undefined> {
    return this.#copy.refreshWith(id, read);
  }

  /** The account as this node keeps it (no change announced since it was read). */
  current(id: string): Promise<AccountWithIdentities | undefined> {
    return this.#copy.get(id);
  }
}
