import { type Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { announceChanges, NotifiedCache } from '../database/notified-cache.ts';
import { testDatabases } from '../testing/databases.ts';
import { announceSignInChanges, SignInCopies } from './sign-in-copies.ts';

const seen = async (check: () => Promise<boolean>) => {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > 2000) throw new Error('not announced within 2 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

interface Person {
  id: string;
  name: string;
}

for (const kind of await testDatabases()) {
  describe(`an authorization's sign-in row and account, kept while neither changed: ${kind.name}`, () => {
    it('serves both from memory until a change the authorization depends on is announced, whoever made it', async () => {
      const opened = await kind.open({
        '9001_sign_ins': {
          async up(db) {
            await sql`create table people (id text primary key, name text not null)`.execute(db);
            await sql`create table sign_ins (id text primary key, account_id text not null references people,
              revoked_at timestamptz, oidc_session_uid text, last_seen_at timestamptz)`.execute(db);
            await announceChanges(db, {
              table: 'people',
              name: 'people',
              key: 'id',
              trigger: 'people_changed',
            });
            await announceSignInChanges(db, {
              table: 'sign_ins',
              name: 'sign_ins',
              trigger: 'sign_ins_changed',
            });
          },
        },
      });
      const db = opened.db as Kysely<unknown>;
      try {
        await sql`insert into people values ('p1', '王小明'), ('p2', '李小華')`.execute(db);
        await sql`insert into sign_ins (id, account_id) values ('s1', 'p1'), ('s2', 'p2')`.execute(db);
        const accountReads: string[] = [];
        const accounts = new NotifiedCache<Person>({
          async load(id) {
            accountReads.push(id);
            const { rows } = await sql<Person>`select id, name from people where id = ${id}`.execute(db);
            return rows[0];
          },
        });
        const rowReads: string[] = [];
        // The role's one statement: the row with its account.
        const read = (row: string, person: string) => async () => {
          rowReads.push(row);
          const { rows } = await sql<Person & { revoked_at: Date | null; oidc_session_uid: string | null }>`
            select p.id, p.name, s.revoked_at, s.oidc_session_uid from sign_ins s join people p on p.id = s.account_id
            where s.id = ${row} and s.account_id = ${person}`.execute(db);
          const [found] = rows;
          return found
            ? {
                account: { id: found.id, name: found.name },
                signIn: { revoked: found.revoked_at !== null, oidcSessionUid: found.oidc_session_uid },
              }
            : undefined;
        };
        const copies = new SignInCopies(accounts);
        await accounts.followTable(db, 'people', opened.notifications, console, 'unheard');
        await copies.follow(db, 'sign_ins', opened.notifications, console);
        const signIn = (row: string, person: string) => copies.signIn(row, person, read(row, person));

        const standing = {
          signIn: { revoked: false, oidcSessionUid: null },
          account: { id: 'p1', name: '王小明' },
        };
        expect(await signIn('s1', 'p1')).toEqual(standing);
        expect(await signIn('s1', 'p1')).toEqual(standing);
        // One statement, then memory; the account read with the row is the account copy's too.
        expect(rowReads).toEqual(['s1']);
        expect(accountReads).toEqual([]);
        expect(await accounts.get('p1')).toEqual({ id: 'p1', name: '王小明' });
        expect(accountReads).toEqual([]);

        // A row of another account (kept or not), or no row: nothing (and a missing row is not kept).
        expect(await signIn('s1', 'p2')).toBeUndefined();
        expect(await signIn('s9', 'p2')).toBeUndefined();
        expect(await signIn('s9', 'p2')).toBeUndefined();
        expect(rowReads).toEqual(['s1', 's9', 's9']);

        // A visit is not announced: the copy stays.
        await sql`update sign_ins set last_seen_at = now() where id = 's1'`.execute(db);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(await signIn('s1', 'p1')).toEqual(standing);
        expect(rowReads).toHaveLength(3);

        // The account edited (by SQL, as an operator or another node would): the next
        // authorization gets the account as it is now, the row still from memory.
        await sql`update people set name = '王大明' where id = 'p1'`.execute(db);
        await seen(async () => (await signIn('s1', 'p1'))?.account.name === '王大明');
        expect(rowReads).toHaveLength(3);
        expect(accountReads).toEqual(['p1']);

        // Linked to a provider session by this node: its own copy goes at once.
        await sql`update sign_ins set oidc_session_uid = 'u1' where id = 's1'`.execute(db);
        copies.forget('s1');
        expect((await signIn('s1', 'p1'))?.signIn).toEqual({ revoked: false, oidcSessionUid: 'u1' });

        // Revoked elsewhere: once announced, the authorization sees it.
        await sql`update sign_ins set revoked_at = now() where id = 's1'`.execute(db);
        await seen(async () => (await signIn('s1', 'p1'))?.signIn.revoked === true);

        // Deleted: gone.
        await sql`delete from sign_ins where id = 's1'`.execute(db);
        await seen(async () => (await signIn('s1', 'p1')) === undefined);

        // Not heard any more: every authorization reads the database.
        await copies.close();
        const before = rowReads.length;
        expect(await signIn('s2', 'p2')).toMatchObject({ account: { name: '李小華' } });
        expect(await signIn('s2', 'p2')).toMatchObject({ account: { name: '李小華' } });
        expect(rowReads.length - before).toBe(2);
        await accounts.close();
      } finally {
        await opened.close();
      }
    });
  });
}
