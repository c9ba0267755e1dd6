import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../database/connect.ts';
import { testDatabases } from '../testing/databases.ts';
import { Flow } from './flow.ts';
import { flowTable } from './flow-table.ts';

type Step = 'one' | 'two' | 'three' | 'done';
type Event = 'save' | 'finish' | 'drop';

// A step saved again keeps the progress: `save` leads each state to its own next state.
const STEPS = new Flow<Step, Event>('steps', [
  ['one', 'save', 'two'],
  ['two', 'save', 'three'],
  ['three', 'save', 'three'],
  ['three', 'finish', 'done'],
  ['one', 'drop', 'done'],
  ['two', 'drop', 'done'],
]);

interface Tables {
  scratch_flows: {
    id: string;
    owner: string;
    state: Step;
    note: string | null;
    touched_at: Date | null;
    expires_at: Date;
  };
}

const flows = flowTable<Tables>()('scratch_flows', STEPS, { key: 'id', expires: 'expires_at' });

describe.each(await testDatabases())('a flow table on $name', (kind) => {
  let database: Database<Tables>;
  let db: Kysely<Tables>;
  let next = 0;

  beforeAll(async () => {
    database = await kind.open<Tables>();
    db = database.db;
    await sql`create table scratch_flows (id text primary key, owner text not null, state text not null,
      note text, touched_at timestamptz, expires_at timestamptz not null)`.execute(db);
  });
  afterAll(async () => {
    await sql`drop table if exists scratch_flows`.execute(db);
    await database?.close();
  });

  async function flowIn(state: Step, owner = 'o', expiresIn = 60_000): Promise<string> {
    const id = `f${next++}`;
    await db
      .insertInto('scratch_flows')
      .values({
        id,
        owner,
        state,
        note: null,
        touched_at: null,
        expires_at: new Date(Date.now() + expiresIn),
      })
      .execute();
    return id;
  }
  const stored = (id: string) =>
    db.selectFrom('scratch_flows').selectAll().where('id', '=', id).executeTakeFirst();

  it('takes every event from every state exactly as the table says, writing its change only then', async () => {
    for (const event of STEPS.events) {
      for (const state of STEPS.states) {
        const id = await flowIn(state);
        const taken = await flows.take(db, id, event, { note: `${event} from ${state}` });
        const allowed = STEPS.allows(state, event);
        expect(taken?.state, `${event} from ${state}`).toBe(allowed ? STEPS.next(state, event) : undefined);
        expect(await stored(id), `${event} from ${state}`).toMatchObject(
          allowed
            ? { state: STEPS.next(state, event), note: `${event} from ${state}` }
            : { state, note: null },
        );
      }
    }
  });

  it('takes nothing on an expired flow, and sweeps it', async () => {
    const id = await flowIn('one', 'o', -1000);
    expect(await flows.take(db, id, 'save')).toBeUndefined();
    expect((await stored(id))?.state).toBe('one');
    expect(await flows.sweep(db)).toBeGreaterThanOrEqual(1);
    expect(await stored(id)).toBeUndefined();
  });

  it('moves every flow matching other columns, and takes SQL values and a transaction', async () => {
    const [a, b, c] = [await flowIn('one', 'p'), await flowIn('two', 'p'), await flowIn('three', 'p')];
    const moved = await db
      .transaction()
      .execute((tx) => flows.takeWhere(tx, { owner: 'p' }, 'drop', { touched_at: sql`now()` }));
    expect(moved.map((row) => row.id).sort()).toEqual([a, b].sort());
    expect(moved.every((row) => row.touched_at instanceof Date)).toBe(true);
    expect((await stored(c))?.state).toBe('three');
  });

  it('matches any value of a list, and moves a state column of another name', async () => {
    await sql`create table scratch_rows (id text primary key, status text not null)`.execute(db);
    const rows = flowTable<{ scratch_rows: { id: string; status: Step } }>()('scratch_rows', STEPS, {
      key: 'id',
      state: 'status',
    });
    await sql`insert into scratch_rows values ('r1', 'one'), ('r2', 'two'), ('r3', 'one')`.execute(db);
    const moved = await rows.takeWhere(db, { id: ['r1', 'r2', 'r9'] }, 'save');
    expect(moved.map((row) => [row.id, row.status]).sort()).toEqual([
      ['r1', 'two'],
      ['r2', 'three'],
    ]);
    expect(await rows.takeWhere(db, { id: [] }, 'save')).toEqual([]);
    expect((await rows.take(db, 'r3', 'finish'))?.status).toBeUndefined();
    expect((await rows.take(db, 'r3', 'drop'))?.status).toBe('done');
    await sql`drop table scratch_rows`.execute(db);
  });
});
