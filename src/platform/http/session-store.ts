import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { PlatformTables } from '../database/platform-schema.ts';
import { statement } from '../database/statement.ts';

export type SessionData = Record<string, unknown>;

/** Where server-side sessions live: the role's database by default, Redis when configured. */
export interface SessionStore {
  get(id: string): Promise<SessionData | undefined>;
  set(id: string, data: SessionData, ttlSeconds: number): Promise<void>;
  destroy(id: string): Promise<void>;
  /** Removes `previous` and stores `id` in one step (a new session id after sign-in). */
  replace(previous: string, id: string, data: SessionData, ttlSeconds: number): Promise<void>;
}

// The statements of every request, compiled once (see statement.ts).
const sessionRow = statement((db: Kysely<PlatformTables>, v: { id: string }) =>
  db.selectFrom('sessions').select(['data', 'expires_at']).where('id', '=', v.id),
);
const saveSession = statement((db: Kysely<PlatformTables>, v: { id: string; data: string; expires: Date }) =>
  db
    .insertInto('sessions')
    .values({ id: v.id, data: v.data, expires_at: v.expires })
    .onConflict((oc) => oc.column('id').doUpdateSet({ data: v.data, expires_at: v.expires })),
);
// One statement: the old row goes and the new one comes in the same commit.
const replaceSession = statement(
  (db: Kysely<PlatformTables>, v: { previous: string; id: string; data: string; expires: Date }) =>
    db
      .with('gone', (q) => q.deleteFrom('sessions').where('id', '=', v.previous))
      .insertInto('sessions')
      .values({ id: v.id, data: v.data, expires_at: v.expires })
      .onConflict((oc) => oc.column('id').doUpdateSet({ data: v.data, expires_at: v.expires })),
);

export class DatabaseSessionStore implements SessionStore {
  readonly #db: Kysely<PlatformTables>;
  constructor(db: Kysely<PlatformTables>) {
    this.#db = db;
  }
  async get(id: string) {
    const [row] = await sessionRow(this.#db, { id });
    if (!row || row.expires_at.getTime() < Date.now()) return undefined;
    return row.data;
  }
  async set(id: string, data: SessionData, ttlSeconds: number) {
    await saveSession(this.#db, {
      id,
      data: JSON.stringify(data),
      expires: new Date(Date.now() + ttlSeconds * 1000),
    });
  }
  async destroy(id: string) {
    await this.#db.deleteFrom('sessions').where('id', '=', id).execute();
  }
  async replace(previous: string, id: string, data: SessionData, ttlSeconds: number) {
    await replaceSession(this.#db, {
      previous,
      id,
      data: JSON.stringify(data),
      expires: new Date(Date.now() + ttlSeconds * 1000),
    });
  }
  /** Removes expired sessions (run periodically). */
  async sweep(): Promise<number> {
    const r = await this.#db.deleteFrom('sessions').where('expires_at', '<', new Date()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

export class RedisSessionStore implements SessionStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }
  async get(id: string) {
    const text = await this.#redis.get(this.#prefix + id);
    return text ? (JSON.parse(text) as SessionData) : undefined;
  }
  async set(id: string, data: SessionData, ttlSeconds: number) {
    await this.#redis.set(this.#prefix + id, JSON.stringify(data), 'EX', ttlSeconds);
  }
  async destroy(id: string) {
    await this.#redis.del(this.#prefix + id);
  }
  async replace(previous: string, id: string, data: SessionData, ttlSeconds: number) {
    await this.#redis
      .multi()
      .del(this.#prefix + previous)
      .set(this.#prefix + id, JSON.stringify(data), 'EX', ttlSeconds)
      .exec();
  }
}
