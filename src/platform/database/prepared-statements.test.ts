import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingService, postgresAvailable, TEST_DATABASE_URL } from '../testing/services.ts';
import { type Database, openDatabase } from './connect.ts';

interface Tables {
  notes: { id: number; body: string };
}

const available = await postgresAvailable();
if (!available) missingService('PostgreSQL', `prepared statements need it (tried ${TEST_DATABASE_URL})`);

describe.skipIf(!available)('prepared statements on PostgreSQL', () => {
  const schema = `test_prep_${randomBytes(5).toString('hex')}`;
  let database: Database<Tables>;
  let db: Kysely<Tables>;

  beforeAll(async () => {
    // One connection, so that every statement below runs on the same server session.
    database = await openDatabase<Tables>({ url: TEST_DATABASE_URL, schema, poolSize: 1 });
    db = database.db;
    await sql`create schema ${sql.id(schema)}`.execute(db);
    await sql`create table notes (id int primary key, body text not null)`.execute(db);
    await db.insertInto('notes').values({ id: 1, body: '第一則' }).execute();
  });
  afterAll(async () => {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
    await database.close();
  });

  const prepared = async () =>
    (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db)).rows.map(
      (row) => row.statement,
    );

  it('prepares a query once per connection and reuses it with other values', async () => {
    const byId = (id: number) =>
      db.selectFrom('notes').select('body').where('id', '=', id).executeTakeFirst();
    expect(await byId(1)).toEqual({ body: '第一則' });
    expect(await byId(2)).toBeUndefined();
    const statements = (await prepared()).filter((s) => s.includes('from "notes"'));
    expect(statements).toHaveLength(1);
  });

  it('keeps working when a migration changes a table under a prepared select *', async () => {
    const all = () => db.selectFrom('notes').selectAll().where('id', '=', 1).executeTakeFirst();
    expect(await all()).toEqual({ id: 1, body: '第一則' });
    await sql`alter table notes add column tag text`.execute(db);
    // PostgreSQL refuses the prepared plan (its result type changed): the statement runs unnamed.
    expect(await all()).toEqual({ id: 1, body: '第一則', tag: null });
    expect(await all()).toEqual({ id: 1, body: '第一則', tag: null });
  });

  it('reports the refusal inside a transaction, which the caller can retry', async () => {
    const read = (q: Kysely<Tables>) =>
      q.selectFrom('notes').selectAll().where('body', '=', '第一則').executeTakeFirst();
    expect(await read(db)).toMatchObject({ id: 1 });
    await sql`alter table notes add column extra int`.execute(db);
    await expect(db.transaction().execute((tx) => read(tx))).rejects.toThrow(/cached plan/);
    expect(await db.transaction().execute((tx) => read(tx))).toMatchObject({ id: 1, extra: null });
  });

  it('runs transaction control and DDL unnamed', async () => {
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('notes').values({ id: 3, body: '第三則' }).execute();
    });
    const statements = await prepared();
    expect(statements.some((s) => /^\s*(begin|commit|alter)/i.test(s))).toBe(false);
    expect(await db.selectFrom('notes').select('id').orderBy('id').execute()).toEqual([{ id: 1 }, { id: 3 }]);
  });
});
