import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../platform/database/connect.ts';
import type { TestDatabaseKind } from '../../platform/testing/databases.ts';
import type { CloudAccount } from '../account/accounts.ts';
import type { CloudDatabase, CloudDb } from '../db.ts';
import { cloudMigrations } from '../migrations.ts';
import type { CountySnapshot } from '../schema.ts';
import type { CloudServices } from '../services.ts';

/**
 * A migrated cloud database of `kind` for the suite that calls this: opened before its tests (a
 * `beforeAll` registered here, so hooks registered after it can use it), closed after them.
 */
export function cloudTestDatabase(kind: TestDatabaseKind): { readonly db: CloudDb } {
  let database: Database<CloudDatabase> | undefined;
  beforeAll(async () => {
    database = await kind.open<CloudDatabase>(cloudMigrations);
  });
  afterAll(async () => database?.close());
  return {
    get db() {
      if (!database) throw new Error('the cloud test database is not open yet');
      return database.db;
    },
  };
}

/** What a county said of teacher01 at a sign-in (王小明 of 朴子國中), with `overrides`. */
export function teacherSnapshot(overrides: Partial<CountySnapshot> = {}): CountySnapshot {
  return {
    username: 'teacher01',
    name: '王小明',
    familyName: '王',
    givenName: '小明',
    email: 'teacher01@example.org',
    schoolid: '454503',
    titles: [],
    classinfo: [],
    openid2Id: null,
    ...overrides,
  };
}

/**
 * A cloud account as a first login leaves it: its name, its person's name and password, and the
 * county identity it signs in with (what the county said: `snapshot` over `teacherSnapshot`, in
 * the person's name).
 */
export async function linkedAccount(
  services: CloudServices,
  account: { name: string; familyName: string; givenName: string; password: string; openid2Ids?: string[] },
  identity: { countyCode: string; issuer: string; subject: string; snapshot: Partial<CountySnapshot> },
): Promise<CloudAccount> {
  const { familyName, givenName } = account;
  const created = await services.accounts.create({
    name: account.name,
    displayName: `${familyName}${givenName}`,
    familyName,
    givenName,
    passwordHash: await services.hasher.hash(account.password),
    ...(account.openid2Ids && { openid2Ids: account.openid2Ids }),
  });
  const { snapshot, ...county } = identity;
  const person = { name: `${familyName}${givenName}`, familyName, givenName };
  await services.accounts.link(created.id, {
    ...county,
    snapshot: teacherSnapshot({ ...person, ...snapshot }),
  });
  return created;
}
