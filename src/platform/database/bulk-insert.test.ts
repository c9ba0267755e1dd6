import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../testing/databases.ts';
import { bulkInsert } from './bulk-insert.ts';
import type { Database } from './connect.ts';

interface Tables {
  teachers: { id: number; name: string; tag: string | null; seen_at: Date | null; data: unknown };
}

const COLUMNS = { id: 'int', name: 'text', tag: 'text', seen_at: 'timestamptz', data: 'jsonb' };

describe.each(await testDatabases())('bulk insert ($name)', (kind) => {
  let database: Database<Tables>;
  let db: Kysely<Tables>;

  beforeAll(async () => {
    database = await kind.open<Tables>();
    db = database.db;
    await sql`create table teachers (id int primary key, name text not null,
      tag text default 'by default', seen_at timestamptz, data jsonb not null default '[]'::jsonb)`.execute(
      db,
    );
  });
  afterAll(async () => {
    await sql`drop table if exists teachers`.execute(db);
    await database.close();
  });
  const stored = (from: number, to: number) =>
    db
      .selectFrom('teachers')
      .selectAll()
      .where('id', '>=', from)
      .where('id', '<', to)
      .orderBy('id')
      .execute();

  it('stores each value as given, also the ones every row shares (nulls included, not the defaults)', async () => {
    const at = new Date('2026-09-01T08:00:00.000Z');
    await bulkInsert(db, 'teachers', COLUMNS, [
      { id: 1, name: '王老師', tag: null, seen_at: at, data: '["教師"]' },
      { id: 2, name: '李老師', tag: null, seen_at: at, data: '["教師"]' },
      { id: 3, name: 'O\'Brien, "Pat"', tag: null, seen_at: at, data: '["教師"]' },
    ]);
    expect(await stored(1, 4)).toEqual([
      { id: 1, name: '王老師', tag: null, seen_at: at, data: ['教師'] },
      { id: 2, name: '李老師', tag: null, seen_at: at, data: ['教師'] },
      { id: 3, name: 'O\'Brien, "Pat"', tag: null, seen_at: at, data: ['教師'] },
    ]);
  });

  it('stores a single row, and a file larger than one statement whose shared values change', async () => {
    await bulkInsert(db, 'teachers', COLUMNS, [
      { id: 10, name: 'solo', tag: 'x', seen_at: null, data: '{}' },
    ]);
    expect(await stored(10, 11)).toEqual([{ id: 10, name: 'solo', tag: 'x', seen_at: null, data: {} }]);

    const rows = Array.from({ length: 12_000 }, (_, i) => ({
      id: 1000 + i,
      name: `t${i}`,
      // The same within the first 5,000 rows, different after them.
      tag: i < 5_000 ? 'first' : i % 2 === 0 ? 'even' : null,
      seen_at: null,
      data: '[]',
    }));
    await bulkInsert(db, 'teachers', COLUMNS, rows);
    const back = await stored(1000, 13_000);
    expect(back).toHaveLength(12_000);
    expect(back.map((r) => [r.id, r.name, r.tag])).toEqual(rows.map((r) => [r.id, r.name, r.tag]));
  });
});
