import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import { isUniqueViolation } from '../../platform/database/errors.ts';
import { statement } from '../../platform/database/statement.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import type { CloudDatabase, CloudDb, CloudTx } from '../db.ts';
import type { AccountState, CloudTables, CountySnapshot } from '../schema.ts';

/** A national education cloud account (`name@mail.edu.tw`). */
export interface CloudAccount {
  /** Stable UUID: the OIDC `sub`. */
  id: string;
  name: string;
  displayName: string;
  familyName: string | null;
  givenName: string | null;
  backupEmail: string | null;
  pendingBackupEmail: string | null;
  state: AccountState;
  isAdmin: boolean;
  hasPassword: boolean;
  guidHash: string | null;
  openid2Ids: string[];
  createdAt: Date;
}

/** A county identity linked to a cloud account, with the cloud's copy of its county data. */
export interface LinkedIdentity {
  id: string;
  accountId: string;
  countyCode: string;
  issuer: string;
  subject: string;
  snapshot: CountySnapshot;
  linkedAt: Date;
  lastLoginAt: Date;
}

export interface NewAccount {
  name: string;
  displayName: string;
  familyName?: string | null;
  givenName?: string | null;
  passwordHash: string | null;
  pendingBackupEmail?: string | null;
  guidHash?: string | null;
  isAdmin?: boolean;
  openid2Ids?: string[];
}

export interface NewIdentity {
  countyCode: string;
  issuer: string;
  subject: string;
  snapshot: CountySnapshot;
}

type AccountRow = Selectable<CloudTables['cloud_accounts']>;
type IdentityRow = Selectable<CloudTables['cloud_identities']>;

/** A `cloud_accounts` row as the rest of the cloud sees it (also used by the OIDC provider's read-ahead). */
export function cloudAccountFromRow(row: AccountRow): CloudAccount {
  return {
    id: row.id,
    name: row.name,
    displayName: row.display_name,
    familyName: row.family_name,
    givenName: row.given_name,
    backupEmail: row.backup_email,
    pendingBackupEmail: row.pending_backup_email,
    state: row.state,
    isAdmin: row.is_admin,
    hasPassword: row.password_hash !== null,
    guidHash: row.guid_hash,
    openid2Ids: row.openid2_ids,
    createdAt: row.created_at,
  };
}

function toIdentity(row: IdentityRow): LinkedIdentity {
  return {
    id: row.id,
    accountId: row.account_id,
    countyCode: row.county_code,
    issuer: row.issuer,
    subject: row.subject,
    snapshot: row.snapshot,
    linkedAt: row.linked_at,
    lastLoginAt: row.last_login_at,
  };
}

/** An account with its county identities, the most recently used first: what its OIDC claims come from. */
export interface AccountWithIdentities {
  account: CloudAccount;
  identities: LinkedIdentity[];
}

/**
 * The county identities of the account of a statement over `cloud_accounts as a`, as a JSON array
 * column (the most recently used first): read along with the account in one statement.
 */
export const identitiesColumn = () =>
  sql<Array<Record<string, unknown>>>`(select coalesce(json_agg(i order by i.last_login_at desc), '[]')
    from cloud_identities i where i.account_id = a.id)`.as('identities');

/** An account row with its `identitiesColumn`, as the account and its identities. */
export function accountWithIdentitiesFromRow(
  row: Selectable<CloudTables['cloud_accounts']> & { identities: unknown },
): AccountWithIdentities {
  const { identities, ...account } = row;
  const list = (typeof identities === 'string' ? JSON.parse(identities) : identities) as Array<
    Record<string, unknown>
  >;
  return { account: cloudAccountFromRow(account), identities: identitiesFromJson(list) };
}

// Read by every authorization and token the cloud provider serves, compiled once (statement.ts).
const withIdentitiesById = statement((db: CloudDb, v: { id: string }) =>
  db.selectFrom('cloud_accounts as a').selectAll('a').select(identitiesColumn()).where('a.id', '=', v.id),
);

/** Identities read as JSON rows (timestamps as ISO strings), e.g. along with their account. */
export function identitiesFromJson(rows: Array<Record<string, unknown>>): LinkedIdentity[] {
  return rows.map((row) =>
    toIdentity({
      ...(row as unknown as IdentityRow),
      linked_at: new Date(row.linked_at as string),
      last_login_at: new Date(row.last_login_at as string),
      disabled_at: row.disabled_at ? new Date(row.disabled_at as string) : null,
    }),
  );
}

/**
 * Cloud accounts and their linked county identities. Every rule that protects "one person, one
 * account" lives here so that no screen can bypass it: an identity is linked to one account only,
 * a guid hash belongs to one account only, and the last identity of an account without a password
 * cannot be unlinked.
 */
export class CloudAccounts {
  readonly #db: CloudDb;
  constructor(db: CloudDb) {
    this.#db = db;
  }

  async byId(id: string, db: CloudTx = this.#db): Promise<CloudAccount | undefined> {
    const row = await db.selectFrom('cloud_accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return row && cloudAccountFromRow(row);
  }

  /** The account and its county identities, in one statement. */
  async withIdentities(id: string, db: CloudTx = this.#db): Promise<AccountWithIdentities | undefined> {
    const [row] = await withIdentitiesById(db as Kysely<CloudDatabase>, { id });
    return row && accountWithIdentitiesFromRow(row);
  }

  async byName(name: string): Promise<CloudAccount | undefined> {
    const row = await this.#db
      .selectFrom('cloud_accounts')
      .selectAll()
      .where('name', '=', name.toLowerCase())
      .executeTakeFirst();
    return row && cloudAccountFromRow(row);
  }

  /**
   * Accounts whose names break the format part of the naming rule (SPEC §8): made before it had
   * its dot clauses (`dotwalk29.`, `lin..xh`), they are no e-mail local part Google accepts.
   */
  async withInvalidNames(): Promise<CloudAccount[]> {
    const rows = await this.#db
      .selectFrom('cloud_accounts')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb(sql<string>`name`, '!~', '^[a-z][a-z0-9_.]{5,19}$'),
          eb(sql<string>`name`, '~', '[.][.]|[.]$'),
        ]),
      )
      .orderBy('name')
      .execute();
    return rows.map(cloudAccountFromRow);
  }

  async byGuidHash(guidHash: string): Promise<CloudAccount | undefined> {
    const row = await this.#db
      .selectFrom('cloud_accounts')
      .selectAll()
      .where('guid_hash', '=', guidHash)
      .executeTakeFirst();
    return row && cloudAccountFromRow(row);
  }

  /** The account a county identity is linked to. */
  async byIdentity(issuer: string, subject: string): Promise<CloudAccount | undefined> {
    const row = await this.#db
      .selectFrom('cloud_identities')
      .innerJoin('cloud_accounts', 'cloud_accounts.id', 'cloud_identities.account_id')
      .selectAll('cloud_accounts')
      .where('cloud_identities.issuer', '=', issuer)
      .where('cloud_identities.subject', '=', subject)
      .executeTakeFirst();
    return row && cloudAccountFromRow(row);
  }

  async isNameTaken(name: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('cloud_accounts')
      .select('id')
      .where('name', '=', name.toLowerCase())
      .executeTakeFirst();
    return row !== undefined;
  }

  async passwordHash(id: string): Promise<string | null> {
    const row = await this.#db
      .selectFrom('cloud_accounts')
      .select('password_hash')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.password_hash ?? null;
  }

  async list(options: { query?: string; limit?: number } = {}): Promise<CloudAccount[]> {
    let q = this.#db.selectFrom('cloud_accounts').selectAll().orderBy('name');
    if (options.query)
      q = q.where('name', 'like', `%${options.query.toLowerCase().replace(/[%_\\]/g, '\\$&')}%`);
    const rows = await q.limit(options.limit ?? 100).execute();
    return rows.map(cloudAccountFromRow);
  }

  /** Creates an account; `name_taken` when the name (or the guid hash) already belongs to one. */
  async create(account: NewAccount, db: CloudTx = this.#db): Promise<CloudAccount> {
    try {
      const row = await db
        .insertInto('cloud_accounts')
        .values({
          id: randomUUID(),
          name: account.name.toLowerCase(),
          password_hash: account.passwordHash,
          display_name: account.displayName,
          family_name: account.familyName ?? null,
          given_name: account.givenName ?? null,
          backup_email: null,
          pending_backup_email: account.pendingBackupEmail ?? null,
          state: 'active',
          is_admin: account.isAdmin ?? false,
          guid_hash: account.guidHash ?? null,
          openid2_ids: JSON.stringify(account.openid2Ids ?? []),
          updated_at: new Date(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return cloudAccountFromRow(row);
    } catch (error) {
      if (isUniqueViolation(error)) {
        const message = String((error as Error).message ?? '');
        throw new AppError(message.includes('guid') ? 'cloud.already_has_account' : 'cloud.name_taken', 409);
      }
      throw error;
    }
  }

  async setPasswordHash(id: string, hash: string, db: CloudTx = this.#db): Promise<void> {
    await db
      .updateTable('cloud_accounts')
      .set({ password_hash: hash, updated_at: new Date() })
      .where('id', '=', id)
      .execute();
  }

  async setState(id: string, state: AccountState, db: CloudTx = this.#db): Promise<void> {
    await db
      .updateTable('cloud_accounts')
      .set({ state, updated_at: new Date() })
      .where('id', '=', id)
      .execute();
  }

  async setPendingBackupEmail(id: string, email: string | null, db: CloudTx = this.#db): Promise<void> {
    await db
      .updateTable('cloud_accounts')
      .set({ pending_backup_email: email, updated_at: new Date() })
      .where('id', '=', id)
      .execute();
  }

  /** Confirms the backup email the link was sent to, if it is still the pending one. */
  async confirmBackupEmail(id: string, email: string, db: CloudTx = this.#db): Promise<boolean> {
    const result = await db
      .updateTable('cloud_accounts')
      .set({ backup_email: email, pending_backup_email: null, updated_at: new Date() })
      .where('id', '=', id)
      .where('pending_backup_email', '=', email)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async setDisplayName(
    id: string,
    names: { displayName: string; familyName: string | null; givenName: string | null },
    db: CloudTx = this.#db,
  ): Promise<void> {
    await db
      .updateTable('cloud_accounts')
      .set({
        display_name: names.displayName,
        family_name: names.familyName,
        given_name: names.givenName,
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Records the guid hash on an account that has none; refuses a different one (another person). */
  async adoptGuidHash(id: string, guidHash: string, db: CloudTx = this.#db): Promise<void> {
    const row = await db
      .selectFrom('cloud_accounts')
      .select('guid_hash')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    if (row.guid_hash === guidHash) return;
    if (row.guid_hash !== null) throw new AppError('cloud.link_other_person', 409);
    try {
      await db.updateTable('cloud_accounts').set({ guid_hash: guidHash }).where('id', '=', id).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('cloud.link_other_person', 409);
      throw error;
    }
  }

  async addOpenid2Id(id: string, url: string, db: CloudTx = this.#db): Promise<void> {
    const row = await db
      .selectFrom('cloud_accounts')
      .select('openid2_ids')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    if (row.openid2_ids.includes(url)) return;
    await db
      .updateTable('cloud_accounts')
      .set({ openid2_ids: JSON.stringify([...row.openid2_ids, url]) })
      .where('id', '=', id)
      .execute();
  }

  async identities(accountId: string, db: CloudTx = this.#db): Promise<LinkedIdentity[]> {
    const rows = await db
      .selectFrom('cloud_identities')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('last_login_at', 'desc')
      .execute();
    return rows.map(toIdentity);
  }

  async identity(issuer: string, subject: string): Promise<LinkedIdentity | undefined> {
    const row = await this.#db
      .selectFrom('cloud_identities')
      .selectAll()
      .where('issuer', '=', issuer)
      .where('subject', '=', subject)
      .executeTakeFirst();
    return row && toIdentity(row);
  }

  /** Links a county identity; `identity_linked` when it already belongs to an account. */
  async link(accountId: string, identity: NewIdentity, db: CloudTx = this.#db): Promise<LinkedIdentity> {
    try {
      const row = await db
        .insertInto('cloud_identities')
        .values({
          id: randomUUID(),
          account_id: accountId,
          county_code: identity.countyCode,
          issuer: identity.issuer,
          subject: identity.subject,
          snapshot: JSON.stringify(identity.snapshot),
          last_login_at: new Date(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toIdentity(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('cloud.identity_linked', 409);
      throw error;
    }
  }

  /** Stores what the county said on this login (schools, titles, names). */
  async refreshIdentity(
    issuer: string,
    subject: string,
    snapshot: CountySnapshot,
    db: CloudTx = this.#db,
  ): Promise<void> {
    await db
      .updateTable('cloud_identities')
      .set({ snapshot: JSON.stringify(snapshot), last_login_at: new Date() })
      .where('issuer', '=', issuer)
      .where('subject', '=', subject)
      .execute();
  }

  /**
   * Unlinks one identity of the account. The last identity of an account without a password
   * stays: without it nobody could sign in to the account any more.
   */
  async unlink(accountId: string, identityId: string, db: CloudTx = this.#db): Promise<void> {
    const account = await this.byId(accountId, db);
    if (!account) throw new AppError('not_found', 404);
    const identities = await this.identities(accountId, db);
    if (!identities.some((i) => i.id === identityId)) throw new AppError('not_found', 404);
    if (!account.hasPassword && identities.length <= 1) throw new AppError('cloud.unlink_last', 409);
    await db
      .deleteFrom('cloud_identities')
      .where('id', '=', identityId)
      .where('account_id', '=', accountId)
      .execute();
  }
}
