import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../testing/databases.ts';
import type { Database } from './connect.ts';
import { statement } from './statement.ts';

interface Tables {
  notes: { id: number; body: string; tags: string[]; seen_at: Date | null };
}

describe.each(await testDatabases())('statements compiled once ($name)', (kind) => {
  let database: Database<Tables>;
  let db: Kysely<Tables>;
  let compiles = 0;

  beforeAll(async () => {
    database = await kind.open<Tables>();
    db = database.db;
    await sql`create table notes (id int primary key, body text not null, tags text[] not null, seen_at timestamptz)`.execute(
      db,
    );
  });
  afterAll(async () => {
    await sql`drop table if exists notes`.execute(db);
    await database.close();
  });

  const insertNote = statement((q: Kysely<Tables>, v: { id: number; body: string; tags: string[] }) => {
    compiles++;
    return q
      .insertInto('notes')
      .values({ id: v.id, body: v.body, tags: v.tags, seen_at: null })
      .returning('id');
  });
  const notesOf = statement((q: Kysely<Tables>, v: { ids: number[]; tag: string }) =>
    q
      .selectFrom('notes')
      .select(['id', 'body'])
      .where('id', '=', sql<number>`any(${v.ids})`)
      .where(sql<boolean>`${v.tag} = any(tags)`)
      .orderBy('id'),
  );
  const touch = statement((q: Kysely<Tables>, v: { id: number; at: Date }) =>
    q.updateTable('notes').set({ seen_at: v.at }).where('id', '=', v.id).returning(['id', 'seen_at']),
  );

  it('runs with the values of each call and compiles once per database', async () => {
    expect(await insertNote(db, { id: 1, body: '第一則', tags: ['a', 'b'] })).toEqual([{ id: 1 }]);
    expect(await insertNote(db, { id: 2, body: "it's <b>", tags: ['b'] })).toEqual([{ id: 2 }]);
    expect(await insertNote(db, { id: 3, body: '三', tags: [] })).toEqual([{ id: 3 }]);
    expect(compiles).toBe(1);
    expect(await notesOf(db, { ids: [1, 2, 3], tag: 'b' })).toEqual([
      { id: 1, body: '第一則' },
      { id: 2, body: "it's <b>" },
    ]);
    expect(await notesOf(db, { ids: [3], tag: 'b' })).toEqual([]);
    const at = new Date('2026-12-02T08:00:00Z');
    expect(await touch(db, { id: 2, at })).toEqual([{ id: 2, seen_at: at }]);
    expect(await touch(db, { id: 9, at })).toEqual([]);
  });

  it('compiles afresh inside a transaction, and a rolled-back write leaves nothing', async () => {
    const before = compiles;
    await expect(
      db.transaction().execute(async (tx) => {
        await insertNote(tx, { id: 4, body: '四', tags: [] });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(compiles).toBe(before + 1);
    expect(await notesOf(db, { ids: [4], tag: 'x' })).toEqual([]);
    expect(await db.selectFrom('notes').select('id').where('id', '=', 4).execute()).toEqual([]);
  });

  it('reports a constraint violation as the query builder would', async () => {
    await expect(insertNote(db, { id: 1, body: 'again', tags: [] })).rejects.toThrow(/duplicate key|unique/i);
  });
});
