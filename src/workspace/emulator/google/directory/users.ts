import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Selectable, Updateable } from 'kysely';
import { isUniqueViolation } from '../../../../platform/database/errors.ts';
import type { PlatformTables } from '../../../../platform/database/platform-schema.ts';
import type { ExternalId, GoogleTables } from '../schema.ts';
import { googleErrors } from './errors.ts';

type Db = Kysely<GoogleTables & PlatformTables>;
type UserRow = Selectable<GoogleTables['google_users']>;

export interface UserInput {
  primaryEmail?: unknown;
  name?: { givenName?: unknown; familyName?: unknown } | undefined;
  password?: unknown;
  hashFunction?: unknown;
  orgUnitPath?: unknown;
  externalIds?: unknown;
  suspended?: unknown;
}

const HASH_FUNCTIONS = new Set(['SHA-1', 'MD5', 'crypt']);

/**
 * Google's rule for the user name of an address: letters, digits, `-`, `_`, `'` and `.`, at most
 * 64 characters, and a dot neither first, last, nor next to another dot.
 */
const USER_NAME = /^[a-z0-9_'-](?:[a-z0-9_'-]|\.(?=[a-z0-9_'-]))*$/;

/** A primary address Google accepts, lowercased; else Google's 400 `invalid` for it. */
function primaryAddress(value: unknown): string {
  const email = text(value, 'primaryEmail', 200).toLowerCase();
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (at < 1 || local.length > 64 || !USER_NAME.test(local) || !/^[a-z0-9.-]+\.[a-z]{2,}$/.test(domain)) {
    throw googleErrors.invalid('Invalid Input: primary_user_email');
  }
  return email;
}

/** The Directory API representation of a user (the fields EduGate and the Admin console use). */
export function userResource(row: UserRow) {
  return {
    kind: 'admin#directory#user',
    id: row.id,
    etag: `"${row.etag}"`,
    primaryEmail: row.primary_email,
    name: {
      givenName: row.given_name,
      familyName: row.family_name,
      fullName: `${row.given_name} ${row.family_name}`,
    },
    isAdmin: false,
    isDelegatedAdmin: false,
    agreedToTerms: false,
    suspended: row.suspended,
    changePasswordAtNextLogin: false,
    orgUnitPath: row.org_unit_path,
    externalIds: row.external_ids,
    creationTime: row.created_at.toISOString(),
    customerId: 'C0edugate',
    isMailboxSetup: true,
  };
}

/** Google's 21-digit user ids. */
function newUserId(): string {
  const digits = BigInt(`0x${randomBytes(9).toString('hex')}`)
    .toString()
    .padStart(20, '0');
  return `1${digits.slice(0, 20)}`;
}

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '') throw googleErrors.required(field);
  if ([...value].length > max) throw googleErrors.invalid(`Invalid Input: ${field}`);
  return value;
}

function externalIds(value: unknown): ExternalId[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw googleErrors.invalid('Invalid Input: externalIds');
  return value.map((v) => {
    const item = v as Record<string, unknown>;
    if (typeof item?.value !== 'string' || typeof item.type !== 'string') {
      throw googleErrors.invalid('Invalid Input: externalIds');
    }
    return {
      value: item.value,
      type: item.type,
      ...(typeof item.customType === 'string' ? { customType: item.customType } : {}),
    };
  });
}

function passwordHash(password: unknown, hashFunction: unknown): { hash: string; fn: string | null } {
  if (typeof password !== 'string') throw googleErrors.required('password');
  if (hashFunction !== undefined && hashFunction !== null) {
    if (typeof hashFunction !== 'string' || !HASH_FUNCTIONS.has(hashFunction)) {
      throw googleErrors.invalid('Invalid Input: hashFunction');
    }
    return { hash: createHash('sha256').update(password).digest('hex'), fn: hashFunction };
  }
  if (password.length < 8 || password.length > 100) throw googleErrors.invalid('Invalid Password');
  return { hash: createHash('sha256').update(password).digest('hex'), fn: null };
}

export class DirectoryUsers {
  readonly #db: Db;
  readonly #creationLag: () => number;

  constructor(db: Db, creationLag: () => number) {
    this.#db = db;
    this.#creationLag = creationLag;
  }

  async #domainHosted(email: string): Promise<void> {
    const domain = email.split('@')[1]?.toLowerCase() ?? '';
    const row = await this.#db
      .selectFrom('google_domains')
      .select('domain')
      .where('domain', '=', domain)
      .executeTakeFirst();
    if (!row) throw googleErrors.invalid('Domain not found.');
  }

  async #orgUnitExists(path: string): Promise<void> {
    if (path === '/') return;
    const row = await this.#db
      .selectFrom('google_org_units')
      .select('id')
      .where('path', '=', path)
      .executeTakeFirst();
    if (!row) throw googleErrors.invalid('Invalid Input: INVALID_OU_ID');
  }

  /** Finds a user by primary email or id; `includeHidden` also returns users still being created. */
  async find(userKey: string, includeHidden = false): Promise<UserRow | undefined> {
    const key = userKey.toLowerCase();
    const row = await this.#db
      .selectFrom('google_users')
      .selectAll()
      .where('deleted_at', 'is', null)
      .where((eb) => eb.or([eb(eb.fn('lower', ['primary_email']), '=', key), eb('id', '=', userKey)]))
      .executeTakeFirst();
    if (!row) return undefined;
    if (!includeHidden && row.visible_at.getTime() > Date.now()) return undefined;
    return row;
  }

  async get(userKey: string): Promise<UserRow> {
    const row = await this.find(userKey);
    if (!row) throw googleErrors.notFound('userKey');
    return row;
  }

  async insert(input: UserInput): Promise<UserRow> {
    const email = primaryAddress(input.primaryEmail);
    const givenName = text(input.name?.givenName, 'name.givenName', 60);
    const familyName = text(input.name?.familyName, 'name.familyName', 60);
    const { hash, fn } = passwordHash(input.password, input.hashFunction);
    const orgUnitPath = typeof input.orgUnitPath === 'string' ? input.orgUnitPath : '/';
    const ids = externalIds(input.externalIds);
    await this.#domainHosted(email);
    await this.#orgUnitExists(orgUnitPath);
    if (await this.find(email, true)) throw googleErrors.duplicate();
    const now = new Date();
    try {
      return await this.#db
        .insertInto('google_users')
        .values({
          id: newUserId(),
          primary_email: email,
          given_name: givenName,
          family_name: familyName,
          org_unit_path: orgUnitPath,
          external_ids: JSON.stringify(ids),
          suspended: input.suspended === true,
          password_hash: hash,
          hash_function: fn,
          etag: randomBytes(12).toString('base64url'),
          updated_at: now,
          visible_at: new Date(now.getTime() + this.#creationLag()),
          deleted_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (error) {
      // Two inserts of the same address racing: the unique index decides, as Google does.
      if (isUniqueViolation(error)) throw googleErrors.duplicate();
      throw error;
    }
  }

  /** users.update (replace) and users.patch (merge) share this: only given fields change. */
  async modify(userKey: string, input: UserInput): Promise<UserRow> {
    const hidden = await this.find(userKey, true);
    if (!hidden) throw googleErrors.notFound('userKey');
    if (hidden.visible_at.getTime() > Date.now()) throw googleErrors.creationNotComplete();
    const changes: Updateable<GoogleTables['google_users']> = {};
    if (input.name?.givenName !== undefined)
      changes.given_name = text(input.name.givenName, 'name.givenName', 60);
    if (input.name?.familyName !== undefined) {
      changes.family_name = text(input.name.familyName, 'name.familyName', 60);
    }
    if (input.suspended !== undefined) {
      if (typeof input.suspended !== 'boolean') throw googleErrors.invalid('Invalid Input: suspended');
      changes.suspended = input.suspended;
    }
    if (input.orgUnitPath !== undefined) {
      const path = text(input.orgUnitPath, 'orgUnitPath', 400);
      await this.#orgUnitExists(path);
      changes.org_unit_path = path;
    }
    if (input.externalIds !== undefined)
      changes.external_ids = JSON.stringify(externalIds(input.externalIds));
    if (input.password !== undefined) {
      const { hash, fn } = passwordHash(input.password, input.hashFunction);
      changes.password_hash = hash;
      changes.hash_function = fn;
    }
    if (input.primaryEmail !== undefined) {
      const email = primaryAddress(input.primaryEmail);
      if (email !== hidden.primary_email) {
        await this.#domainHosted(email);
        if (await this.find(email, true)) throw googleErrors.duplicate();
        changes.primary_email = email;
      }
    }
    return this.#db
      .updateTable('google_users')
      .set({ ...changes, etag: randomBytes(12).toString('base64url'), updated_at: new Date() })
      .where('id', '=', hidden.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async delete(userKey: string): Promise<void> {
    const row = await this.get(userKey);
    await this.#db
      .updateTable('google_users')
      .set({ deleted_at: new Date(), updated_at: new Date() })
      .where('id', '=', row.id)
      .execute();
  }

  /** users.undelete: the key is the user's id (a deleted user's address may be reused). */
  async undelete(userKey: string, orgUnitPath: unknown): Promise<void> {
    const row = await this.#db
      .selectFrom('google_users')
      .selectAll()
      .where('id', '=', userKey)
      .where('deleted_at', 'is not', null)
      .executeTakeFirst();
    if (!row) throw googleErrors.notFound('userKey');
    if (await this.find(row.primary_email, true)) throw googleErrors.duplicate();
    const path = typeof orgUnitPath === 'string' && orgUnitPath !== '' ? orgUnitPath : row.org_unit_path;
    await this.#orgUnitExists(path);
    await this.#db
      .updateTable('google_users')
      .set({ deleted_at: null, org_unit_path: path, updated_at: new Date() })
      .where('id', '=', row.id)
      .execute();
  }

  /** Live users (admin view and tests); the Directory API subset itself has no search. */
  async list(): Promise<UserRow[]> {
    return this.#db
      .selectFrom('google_users')
      .selectAll()
      .where('deleted_at', 'is', null)
      .orderBy('primary_email')
      .execute();
  }
}
