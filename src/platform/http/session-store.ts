import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { PlatformTables } from '../database/platform-schema.ts';

export type SessionData = Record<string, unknown>;

/** Where server-side sessions live: the role's database by default, Redis when configured. */
export interface SessionStore {
  get(id: string): Promise<SessionData | undefined>;
  set(id: string, data: SessionData, ttlSeconds: number): Promise<void>;
  destroy(id: string): Promise<void>;
  /** Removes `previous` and stores `id` in one step (a new session id after sign-in). */
  replace(previous: string, id: string, data: SessionData, ttlSeconds: number): Promise<void>;
}

export class DatabaseSessionStore implements SessionStore {
  readonly #db: Kysely<PlatformTables>;
  constructor(db: Kysely<PlatformTables>) {
    this.#db = db;
  }
  async get(id: string) {
    const row = await this.#db
      .selectFrom('sessions')
      .select(['data', 'expires_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || row.expires_at.getTime() < Date.now()) return undefined;
    return row.data;
  }
  async set(id: string, data: SessionData, ttlSeconds: number) {
    const expires = new Date(Date.now() + ttlSeconds * 1000);
    const json = JSON.stringify(data);
    await this.#db
      .insertInto('sessions')
      .values({ id, data: json, expires_at: expires })
      .onConflict((oc) => oc.column('id').doUpdateSet({ data: json, expires_at: expires }))
      .execute();
  }
  async destroy(id: string) {
    await this.#db.deleteFrom('sessions').where('id', '=', id).execute();
  }
  async replace(previous: string, id: string, data: SessionData, ttlSeconds: number) {
    const expires = new Date(Date.now() + ttlSeconds * 1000);
    const json = JSON.stringify(data);
    // One statement: the old row goes and the new one comes in the same commit.
    await this.#db
      .with('gone', (db) => db.deleteFrom('sessions').where('id', '=', previous))
      .insertInto('sessions')
      .values({ id, data: json, expires_at: expires })
      .onConflict((oc) => oc.column('id').doUpdateSet({ data: json, expires_at: expires }))
      .execute();
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
