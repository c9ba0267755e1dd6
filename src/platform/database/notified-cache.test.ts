import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { testDatabases } from '../testing/databases.ts';
import type { NotificationHandler, Notifications } from './notifications.ts';
import { announceChanges, changeChannel, NotifiedCache } from './notified-cache.ts';

const seen = async (check: () => boolean) => {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > 2000) throw new Error('not announced within 2 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

for (const kind of await testDatabases()) {
  describe(`a cache of rows whose changes the database announces: ${kind.name}`, () => {
    it('keeps a row until a change of the columns it keeps, or its deletion, is announced', async () => {
      const opened = await kind.open({
        '9001_people': {
          async up(db) {
            await sql`create table people (id text primary key, name text not null, seen_at timestamptz)`.execute(
              db,
            );
            await announceChanges(db, {
              table: 'people',
              name: 'people',
              key: 'id',
              trigger: 'people_changed',
              whenUpdate: 'old.name is distinct from new.name',
            });
          },
        },
      });
      const db = opened.db as never;
      try {
        await sql`insert into people values ('p1', '王小明', null), ('p2', '李小華', null)`.execute(db);
        const loads: string[] = [];
        const cache = new NotifiedCache<{ name: string }>({
          async load(id) {
            loads.push(id);
            const { rows } = await sql<{ name: string }>`select name from people where id = ${id}`.execute(
              db,
            );
            return rows[0];
          },
        });
        const changes: string[] = [];
        const channel = await changeChannel(db, 'people');
        await opened.notifications.listen(channel, (payload) => changes.push(String(payload)));
        await cache.follow(opened.notifications, channel);

        expect(await cache.get('p1')).toEqual({ name: '王小明' });
        expect(await cache.get('p1')).toEqual({ name: '王小明' });
        expect(loads).toEqual(['p1']);
        // Shared by every request: frozen.
        expect(Object.isFrozen(await cache.get('p1'))).toBe(true);

        // A column the cache does not keep: nothing announced, the copy stays.
        await sql`update people set seen_at = now() where id = 'p1'`.execute(db);
        await sql`update people set name = '李大華' where id = 'p2'`.execute(db);
        await seen(() => changes.includes('p2'));
        expect(changes).toEqual(['p2']);
        expect(await cache.get('p1')).toEqual({ name: '王小明' });
        expect(loads).toEqual(['p1']);

        // A kept column changes: the next read after the announcement reads the database.
        await sql`update people set name = '王大明' where id = 'p1'`.execute(db);
        await seen(() => cache.size === 0);
        expect(await cache.get('p1')).toEqual({ name: '王大明' });
        expect(loads).toEqual(['p1', 'p1']);

        // Deleted: gone, and a missing row is not kept.
        await sql`delete from people where id = 'p1'`.execute(db);
        await seen(() => cache.size === 0);
        expect(await cache.get('p1')).toBeUndefined();
        expect(await cache.get('p1')).toBeUndefined();
        expect(loads).toEqual(['p1', 'p1', 'p1', 'p1']);

        // Several changes in one transaction, announced at its commit only.
        expect(await cache.get('p2')).toEqual({ name: '李大華' });
        await opened.db.transaction().execute(async (tx) => {
          await sql`update people set name = '李中華' where id = 'p2'`.execute(tx);
          await sql`update people set name = '李小華' where id = 'p2'`.execute(tx);
        });
        await seen(() => cache.size === 0);
        expect(await cache.get('p2')).toEqual({ name: '李小華' });
        await cache.close();
      } finally {
        await opened.close();
      }
    });
  });
}

describe('a cache of announced rows while the announcements are not heard', () => {
  it('reads the database every time, and forgets what it kept', async () => {
    const handlers: NotificationHandler[] = [];
    const notifications = {
      listening: true as boolean,
      async listen(_channel: string, handler: NotificationHandler) {
        handlers.push(handler);
        return async () => {};
      },
      async close() {},
    } satisfies Notifications;
    let loads = 0;
    const cache = new NotifiedCache<{ n: number }>({ load: async () => ({ n: ++loads }) });
    // Not following yet: read every time.
    expect(await cache.get('k')).toEqual({ n: 1 });
    expect(await cache.get('k')).toEqual({ n: 2 });
    await cache.follow(notifications, 'c');
    expect(await cache.get('k')).toEqual({ n: 3 });
    expect(await cache.get('k')).toEqual({ n: 3 });
    notifications.listening = false;
    expect(await cache.get('k')).toEqual({ n: 4 });
    expect(cache.size).toBe(0);
    notifications.listening = true;
    expect(await cache.get('k')).toEqual({ n: 5 });
    // Back after a lost connection: everything is dropped.
    for (const handler of handlers) handler(undefined);
    expect(await cache.get('k')).toEqual({ n: 6 });
    // A read under way when its key changes is not kept.
    const pending = cache.get('x');
    for (const handler of handlers) handler('x');
    expect(await pending).toEqual({ n: 7 });
    expect(await cache.get('x')).toEqual({ n: 8 });
  });

  it('keeps values for a while at most, and the most recent ones', async () => {
    const notifications = {
      listening: true,
      listen: async () => async () => {},
      close: async () => {},
    } satisfies Notifications;
    let loads = 0;
    const cache = new NotifiedCache<{ n: number }>({
      load: async () => ({ n: ++loads }),
      maxAgeMs: 30,
      maxEntries: 2,
    });
    await cache.follow(notifications, 'c');
    await cache.get('a');
    await cache.get('b');
    await cache.get('c');
    expect(cache.size).toBe(2);
    expect(await cache.get('c')).toEqual({ n: 3 });
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(await cache.get('c')).toEqual({ n: 4 });
  });
});
