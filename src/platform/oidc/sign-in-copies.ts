import type { Kysely } from 'kysely';
import type { Notifications } from '../database/notifications.ts';
import { announceChanges, NotifiedCache } from '../database/notified-cache.ts';

/** A browser's sign-in row as an authorization checks it (county and cloud alike). */
export interface SignInRow {
  /** Revoked (signed out, ended on the sessions page or by a back-channel logout, password changed). */
  revoked: boolean;
  /** The role's OIDC provider session linked to the row, if any. */
  oidcSessionUid: string | null;
}

/**
 * Migration step: makes a role's table of browser sign-in rows (`id`, `account_id`, `revoked_at`,
 * `oidc_session_uid`) announce on `changeChannel(name)` every change `SignInCopies` depends on, at
 * commit: a row revoked, linked to another provider session, moved to another account or deleted;
 * not a visit (`last_seen_at`) nor a new row. Migrations use this, so keep it compatible.
 */
export function announceSignInChanges(
  db: Kysely<unknown>,
  options: { table: string; name: string; trigger: string },
): Promise<void> {
  return announceChanges(db, {
    ...options,
    key: 'id',
    whenUpdate: [
      'old.revoked_at is distinct from new.revoked_at',
      'old.oidc_session_uid is distinct from new.oidc_session_uid',
      'old.account_id is distinct from new.account_id',
    ].join(' or '),
  });
}

/** What a node keeps of a sign-in row: the row's account besides what an authorization checks. */
interface KeptSignIn extends SignInRow {
  accountId: string;
}

/**
 * This node's copies of browsers' sign-in rows, by row id, beside its copies of the accounts they
 * sign in (`accounts`, the role's NotifiedCache of releasable accounts): what the role's
 * `hostSession` asks at every authorization of a signed-in browser. A row and its account are read
 * in one statement the first time (`read`); then, as long as neither changed, both come from memory.
 *
 * The row's table announces every change an authorization depends on (revoked, linked to another
 * provider session, moved, deleted: `announceSignInChanges`, keyed by the row id), at commit,
 * whoever writes it; the account's table announces the account's. Each announcement drops
 * the copy on every node, so a sign-in ended on another device, by a password change or by an
 * operator's SQL stops the next authorization on every node once announced, as it stops the
 * tokens. While the node does not hear the announcements it reads the database every time.
 */
export class SignInCopies<A> {
  readonly #accounts: NotifiedCache<A>;
  readonly #rows = new NotifiedCache<KeptSignIn>({
    load: async () => undefined,
    // A teacher's browsers at once, and a few minutes of a county's sign-ins.
    maxEntries: 100_000,
  });

  constructor(accounts: NotifiedCache<A>) {
    this.#accounts = accounts;
  }

  /** Follows the changes announced as `name` (`announceSignInChanges`; until then, reads every time). */
  follow(
    db: Kysely<unknown>,
    name: string,
    notifications: Notifications,
    log: { warn(details: object, message: string): void },
  ): Promise<void> {
    const unheard = 'sign-in changes are not heard: every authorization reads its sign-in row';
    return this.#rows.followTable(db, name, notifications, log, unheard);
  }

  close(): Promise<void> {
    return this.#rows.close();
  }

  /**
   * Sign-in row `rowId` of account `accountId` with the account: this node's copies while neither
   * changed, else `read` (the row with its account, in one statement; undefined when the account
   * has no such row), whose account is kept as the account copy's own reads are.
   */
  async signIn(
    rowId: string,
    accountId: string,
    read: () => Promise<{ signIn: SignInRow; account: A } | undefined>,
  ): Promise<{ signIn: SignInRow; account: A } | undefined> {
    let account: Promise<A | undefined> | undefined;
    const kept = await this.#rows.get(rowId, async () => {
      let found: { signIn: SignInRow; account: A } | undefined;
      account = this.#accounts.refreshWith(accountId, async () => {
        found = await read();
        return found?.account;
      });
      await account;
      return found ? { accountId, ...found.signIn } : undefined;
    });
    if (!kept || kept.accountId !== accountId) return undefined;
    const found = await (account ?? this.#accounts.get(accountId));
    return found
      ? { signIn: { revoked: kept.revoked, oidcSessionUid: kept.oidcSessionUid }, account: found }
      : undefined;
  }

  /** Drops this node's copy of row `rowId` (the role's own write; the other nodes hear the trigger). */
  forget(rowId: string): void {
    this.#rows.forget(rowId);
  }
}
