import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import { normalizeUsername } from '../../identity/index.ts';
import { bulkInsert } from '../../platform/database/bulk-insert.ts';
import { statement } from '../../platform/database/statement.ts';
import { flowTable } from '../../platform/flows/flow-table.ts';
import type { CountyTx } from '../db.ts';
import type { AccountRole, AccountState, CountyDatabase, CountyTables } from '../schema.ts';
import { ACCOUNT_LIFECYCLE, type AccountEvent } from './transitions.ts';

/** A `county_accounts` row as stored. */
export type AccountRow = Selectable<CountyTables['county_accounts']>;

/**
 * An account as the county's code reads it: the row, its state named `state` as every state in
 * EduGate is. The column keeps its first name, `status`: renaming it would break the nodes still
 * running while an upgrade migrates the database. So a row becomes an account here, when it is read.
 */
export type Account = Omit<AccountRow, 'status' | 'status_reason'> & {
  state: AccountState;
  state_reason: string | null;
};

export function accountFromRow({ status, status_reason, ...row }: AccountRow): Account {
  return { ...row, state: status, state_reason: status_reason };
}

const firstAccount = (rows: AccountRow[]): Account | undefined =>
  rows[0] ? accountFromRow(rows[0]) : undefined;

export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

/**
 * `status <> REJECTED`: the predicate of the partial unique indexes on username, email and national
 * ID as they write it, with the value in the SQL text. Only then can PostgreSQL's plan of the
 * prepared statement use those indexes without knowing the values, and keep that plan; with the
 * value as a parameter it plans the statement again at every run.
 */
export const REJECTED = sql.lit<AccountState>('rejected');

// Read on every signed-in request and every login, compiled once (see statement.ts).
const accountById = statement((db: Kysely<CountyDatabase>, v: { tenant: string; id: string }) =>
  db.selectFrom('county_accounts').selectAll().where('tenant', '=', v.tenant).where('id', '=', v.id),
);
const accountByUsername = statement((db: Kysely<CountyDatabase>, v: { tenant: string; username: string }) =>
  db
    .selectFrom('county_accounts')
    .selectAll()
    .where('tenant', '=', v.tenant)
    .where('username_normalized', '=', v.username)
    .where('status', '<>', REJECTED),
);
/**
 * Whether `id` can name an account (a UUID) at all: what every read by id checks first, so that a
 * made-up id from a form or a link costs no query and reaches no SQL type error.
 */
export function isAccountId(id: string): boolean {
  return /^[0-9a-f-]{36}$/i.test(id);
}

/**
 * The browser session row `sessionId` of account `id` joined with the account, with when the row
 * was revoked (null while it stands): what pages and authorizations of a signed-in browser read,
 * each adding the columns it needs.
 */
export const sessionRowWithAccount = (db: Kysely<CountyDatabase>, v: { id: string; sessionId: string }) =>
  db
    .selectFrom('county_account_sessions as s')
    .innerJoin('county_accounts as a', 'a.id', 's.account_id')
    .select('s.revoked_at as session_revoked_at')
    .where('s.id', '=', v.sessionId)
    .where('s.account_id', '=', v.id);

// Read on every page of a signed-in browser, compiled once (see statement.ts).
const accountBySession = statement(
  (db: Kysely<CountyDatabase>, v: { tenant: string; id: string; sessionId: string }) =>
    sessionRowWithAccount(db, v)
      .selectAll('a')
      .select('s.last_seen_at as session_last_seen_at')
      .where('a.tenant', '=', v.tenant),
);

/**
 * The account `id` of `tenant` with its browser session row `sessionId`, in one statement (what
 * every page of a signed-in browser reads): when the row was revoked (null while it stands) and
 * last seen. Undefined when no such row of the account exists.
 */
export async function findAccountBySession(
  db: CountyTx,
  tenant: string,
  id: string,
  sessionId: string,
): Promise<{ account: Account; revokedAt: Date | null; lastSeenAt: Date } | undefined> {
  if (!isAccountId(id)) return undefined;
  const [row] = await accountBySession(db as Kysely<CountyDatabase>, { tenant, id, sessionId });
  if (!row) return undefined;
  const { session_revoked_at: revokedAt, session_last_seen_at: lastSeenAt, ...account } = row;
  return { account: accountFromRow(account), revokedAt, lastSeenAt };
}

export function findAccountById(db: CountyTx, tenant: string, id: string): Promise<Account | undefined> {
  if (!isAccountId(id)) return Promise.resolve(undefined);
  return accountById(db, { tenant, id }).then(firstAccount);
}

/** The live (not rejected) account with this username, case-insensitively. */
export function findAccountByUsername(
  db: CountyTx,
  tenant: string,
  username: string,
): Promise<Account | undefined> {
  return accountByUsername(db, { tenant, username: normalizeUsername(username) }).then(firstAccount);
}

export function findAccountByEmail(
  db: CountyTx,
  tenant: string,
  email: string,
): Promise<Account | undefined> {
  return db
    .selectFrom('county_accounts')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('email_normalized', '=', normalizeEmail(email))
    .where('status', '<>', REJECTED)
    .execute()
    .then(firstAccount);
}

export function findAccountByBlindIndex(
  db: CountyTx,
  tenant: string,
  blindIndex: string,
): Promise<Account | undefined> {
  return db
    .selectFrom('county_accounts')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('national_id_blind_index', '=', blindIndex)
    .where('status', '<>', REJECTED)
    .execute()
    .then(firstAccount);
}

export async function usernameTaken(db: CountyTx, tenant: string, username: string): Promise<boolean> {
  return (await findAccountByUsername(db, tenant, username)) !== undefined;
}

export async function emailTaken(db: CountyTx, tenant: string, email: string): Promise<boolean> {
  return (await findAccountByEmail(db, tenant, email)) !== undefined;
}

export interface NewAccount {
  id?: string;
  tenant: string;
  username: string;
  passwordHash: string;
  email: string;
  emailVerified?: boolean;
  role: AccountRole;
  state: AccountState;
  unitCode: string | null;
  realName?: string | null;
  familyName?: string | null;
  givenName?: string | null;
  nationalIdEncrypted?: string | null;
  nationalIdBlindIndex?: string | null;
  unitConfirmed?: boolean;
  titles?: string[];
  termsVersion?: string | null;
  termsAcceptedAt?: Date | null;
}

/** The `county_accounts` row of a new account. */
function newAccountRow(input: NewAccount, now: Date) {
  return {
    id: input.id ?? randomUUID(),
    tenant: input.tenant,
    username: input.username.trim(),
    username_normalized: normalizeUsername(input.username),
    password_hash: input.passwordHash,
    email: input.email.trim(),
    email_normalized: normalizeEmail(input.email),
    email_verified_at: input.emailVerified ? now : null,
    role: input.role,
    status: input.state,
    status_reason: null,
    real_name: input.realName ?? null,
    family_name: input.familyName ?? null,
    given_name: input.givenName ?? null,
    national_id_encrypted: input.nationalIdEncrypted ?? null,
    national_id_blind_index: input.nationalIdBlindIndex ?? null,
    unit_code: input.unitCode,
    unit_confirmed_at: input.unitConfirmed ? now : null,
    titles: JSON.stringify(input.titles ?? []),
    terms_version: input.termsVersion ?? null,
    terms_accepted_at: input.termsAcceptedAt ?? null,
    review_requested_at: null,
    reviewed_at: null,
    reviewed_by: null,
    suspended_by_campaign: null,
    password_changed_at: now,
    last_login_at: null,
  };
}

export async function insertAccount(db: CountyTx, input: NewAccount): Promise<Account> {
  return db
    .insertInto('county_accounts')
    .values(newAccountRow(input, new Date()))
    .returningAll()
    .executeTakeFirstOrThrow()
    .then(accountFromRow);
}

/** The SQL types of the `county_accounts` columns a new account sets (for `bulkInsert`). */
const ACCOUNT_COLUMNS = {
  id: 'uuid',
  tenant: 'text',
  username: 'text',
  username_normalized: 'text',
  password_hash: 'text',
  email: 'text',
  email_normalized: 'text',
  email_verified_at: 'timestamptz',
  role: 'text',
  status: 'text',
  status_reason: 'text',
  real_name: 'text',
  family_name: 'text',
  given_name: 'text',
  national_id_encrypted: 'text',
  national_id_blind_index: 'text',
  unit_code: 'text',
  unit_confirmed_at: 'timestamptz',
  titles: 'jsonb',
  terms_version: 'text',
  terms_accepted_at: 'timestamptz',
  review_requested_at: 'timestamptz',
  reviewed_at: 'timestamptz',
  reviewed_by: 'text',
  suspended_by_campaign: 'text',
  password_changed_at: 'timestamptz',
  last_login_at: 'timestamptz',
} satisfies Record<keyof ReturnType<typeof newAccountRow>, string>;

/** Stores many new accounts at once (bulk import); returns their ids in order. */
export async function insertAccounts(db: CountyTx, inputs: readonly NewAccount[]): Promise<string[]> {
  const now = new Date();
  const rows = inputs.map((input) => newAccountRow(input, now));
  await bulkInsert(db, 'county_accounts', ACCOUNT_COLUMNS, rows);
  return rows.map((row) => row.id);
}

/** Lookup keys per statement of `takenKeys`. */
const LOOKUP_CHUNK = 5_000;

/**
 * Which of `keys` live (not rejected) accounts of the tenant already hold, as normalized usernames
 * (`username`), normalized emails (`email`) or national ID blind indexes (`person`).
 */
export async function takenKeys(
  db: CountyTx,
  tenant: string,
  kind: 'username' | 'email' | 'person',
  keys: readonly string[],
): Promise<Set<string>> {
  const column =
    kind === 'username'
      ? 'username_normalized'
      : kind === 'email'
        ? 'email_normalized'
        : 'national_id_blind_index';
  const taken = new Set<string>();
  for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
    const chunk = keys.slice(i, i + LOOKUP_CHUNK);
    // A join with the keys rather than `= any(keys)`: right after a large import the table's
    // statistics still describe it as small, and a sequential scan comparing every row with each of
    // thousands of keys takes seconds; a join hashes the keys or probes the index, whatever the plan.
    const { rows } = await sql<{ key: string }>`select k.key
      from unnest(${chunk}::text[]) as k(key)
      join county_accounts a on a.tenant = ${tenant} and a.${sql.ref(column)} = k.key
      where a.status <> 'rejected'`.execute(db);
    for (const row of rows) taken.add(row.key);
  }
  return taken;
}

/** The accounts' lifecycle store: `ACCOUNT_LIFECYCLE` moves the `status` column of their row. */
const lifecycle = flowTable<CountyTables>()('county_accounts', ACCOUNT_LIFECYCLE, {
  key: 'id',
  state: 'status',
});

/** What a transition writes besides the state (`state_reason` is the `status_reason` column). */
export type AccountChange = Partial<{
  state_reason: string | null;
  reviewed_at: Date;
  reviewed_by: string;
  review_requested_at: Date;
  email_verified_at: Date;
  suspended_by_campaign: string | null;
}>;

function changedColumns({ state_reason, ...columns }: AccountChange) {
  return {
    ...(state_reason !== undefined ? { status_reason: state_reason } : {}),
    ...columns,
    updated_at: new Date(),
  };
}

/**
 * Takes `event` on the tenant's account `id` (see `ACCOUNT_LIFECYCLE`) with `change`, in one
 * statement; returns the account as it is now, or undefined when the table does not allow the
 * event in its state (decided twice, raced by another reviewer, …): then nothing was written.
 */
export async function transitionAccount(
  db: CountyTx,
  tenant: string,
  id: string,
  event: AccountEvent,
  change: AccountChange = {},
): Promise<Account | undefined> {
  if (!isAccountId(id)) return undefined;
  const [row] = await lifecycle.takeWhere(db, { tenant, id }, event, changedColumns(change));
  return row ? accountFromRow(row) : undefined;
}

/**
 * Takes `event` on every account of the tenant that `match` names (any of the ids, or those an
 * audit campaign suspended) and whose state allows it; the accounts moved.
 */
export async function transitionAccounts(
  db: CountyTx,
  tenant: string,
  match: { id: readonly string[] } | { suspended_by_campaign: string },
  event: AccountEvent,
  change: AccountChange = {},
): Promise<Account[]> {
  const rows = await lifecycle.takeWhere(db, { tenant, ...match }, event, changedColumns(change));
  return rows.map(accountFromRow);
}

/** Moves the account to `unitCode`, its unit confirmed now (an approved transfer). */
export async function moveToUnit(db: CountyTx, id: string, unitCode: string): Promise<void> {
  await db
    .updateTable('county_accounts')
    .set({ unit_code: unitCode, unit_confirmed_at: new Date(), updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

export async function setPasswordHash(db: CountyTx, id: string, hash: string): Promise<void> {
  await db
    .updateTable('county_accounts')
    .set({ password_hash: hash, password_changed_at: new Date(), updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

/**
 * Keeps the number a teacher typed on the profile check (sealed) for the school reviewer, when the
 * account has neither a recorded number nor another one waiting. Whether it was kept.
 */
export async function submitNationalId(db: CountyTx, id: string, encrypted: string): Promise<boolean> {
  const result = await db
    .updateTable('county_accounts')
    .set({
      national_id_submitted_encrypted: encrypted,
      national_id_submitted_at: new Date(),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .where('national_id_encrypted', 'is', null)
    .where('national_id_submitted_encrypted', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Forgets a number waiting for the reviewer (declined). */
export async function dropNationalIdSubmission(db: CountyTx, id: string): Promise<void> {
  await db
    .updateTable('county_accounts')
    .set({ national_id_submitted_encrypted: null, national_id_submitted_at: null, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

/**
 * Stores an account's national ID (ciphertext and blind index) and forgets a number waiting for the
 * reviewer. `onlyIfUnset`: never overwrites a number already recorded (the reviewer's confirmation of
 * a submitted number); a reviewer's correction replaces it.
 */
export async function setNationalId(
  db: CountyTx,
  id: string,
  value: { encrypted: string; blindIndex: string },
  options: { onlyIfUnset?: boolean } = {},
): Promise<void> {
  let update = db
    .updateTable('county_accounts')
    .set({
      national_id_encrypted: value.encrypted,
      national_id_blind_index: value.blindIndex,
      national_id_submitted_encrypted: null,
      national_id_submitted_at: null,
      updated_at: new Date(),
    })
    .where('id', '=', id);
  if (options.onlyIfUnset) update = update.where('national_id_encrypted', 'is', null);
  await update.execute();
}

/**
 * Removes an application whose email was never confirmed (still `pending_email`), so that its
 * username and email are free again; the username removed, or undefined when it had moved on.
 */
export function removeUnverifiedAccount(
  db: CountyTx,
  tenant: string,
  id: string,
): Promise<{ username: string } | undefined> {
  return db
    .deleteFrom('county_accounts')
    .where('tenant', '=', tenant)
    .where('id', '=', id)
    .where('status', '=', 'pending_email')
    .returning(['username'])
    .executeTakeFirst();
}

/** How many of the tenant's accounts are in each state (states without any are absent). */
export async function countAccountsByState(db: CountyTx, tenant: string): Promise<Map<AccountState, number>> {
  const counts = await db
    .selectFrom('county_accounts')
    .select(['status as state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('tenant', '=', tenant)
    .groupBy('status')
    .execute();
  return new Map(counts.map((c) => [c.state, Number(c.n)]));
}

/** A unit's staff: its active and suspended accounts. */
const unitStaffRows = (db: CountyTx, tenant: string, unitCode: string) =>
  db
    .selectFrom('county_accounts')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('unit_code', '=', unitCode)
    .where('status', 'in', ['active', 'suspended']);

/** A unit's staff, by username. */
export function unitStaff(db: CountyTx, tenant: string, unitCode: string): Promise<Account[]> {
  return unitStaffRows(db, tenant, unitCode)
    .orderBy('username_normalized')
    .execute()
    .then((rows) => rows.map(accountFromRow));
}

/** A unit's staff whose typed national ID waits for the unit's reviewer, oldest first. */
export function unitStaffWithSubmittedNationalId(
  db: CountyTx,
  tenant: string,
  unitCode: string,
): Promise<Account[]> {
  return unitStaffRows(db, tenant, unitCode)
    .where('national_id_submitted_encrypted', 'is not', null)
    .orderBy('national_id_submitted_at')
    .execute()
    .then((rows) => rows.map(accountFromRow));
}

export interface AccountSearch {
  query?: string;
  state?: AccountState;
  unitCode?: string;
  role?: AccountRole;
  limit?: number;
  offset?: number;
}

export function searchAccounts(db: CountyTx, tenant: string, search: AccountSearch): Promise<Account[]> {
  let q = db.selectFrom('county_accounts').selectAll().where('tenant', '=', tenant);
  const text = search.query?.trim();
  if (text) {
    const like = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) =>
      eb.or([eb('username', 'ilike', like), eb('email', 'ilike', like), eb('real_name', 'ilike', like)]),
    );
  }
  if (search.state) q = q.where('status', '=', search.state);
  if (search.unitCode) q = q.where('unit_code', '=', search.unitCode);
  if (search.role) q = q.where('role', '=', search.role);
  return q
    .orderBy('username_normalized')
    .limit(search.limit ?? 100)
    .offset(search.offset ?? 0)
    .execute()
    .then((rows) => rows.map(accountFromRow));
}
