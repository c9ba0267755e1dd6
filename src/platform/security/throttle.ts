import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { PlatformTables } from '../database/platform-schema.ts';
import { statement } from '../database/statement.ts';

/** Counts failures per key (account, client address) within a window. */
export interface ThrottleStore {
  failures(key: string): Promise<{ count: number; last: number }>;
  /** The failures of several keys in one read, in the order of `keys`. */
  failuresOf(keys: string[]): Promise<Array<{ count: number; last: number }>>;
  fail(key: string, windowSeconds: number): Promise<number>;
  reset(key: string): Promise<void>;
}

// Read before every password check, compiled once (see statement.ts).
const throttleRows = statement((db: Kysely<PlatformTables>, v: { keys: string[] }) =>
  db
    .selectFrom('throttle')
    .select(['key', 'count', 'last_at', 'expires_at'])
    .where('key', '=', sql<string>`any(${v.keys})`),
);

export class DatabaseThrottleStore implements ThrottleStore {
  readonly #db: Kysely<PlatformTables>;
  constructor(db: Kysely<PlatformTables>) {
    this.#db = db;
  }
  async failures(key: string) {
    return (await this.failuresOf([key]))[0] ?? { count: 0, last: 0 };
  }
  async failuresOf(keys: string[]) {
    const rows = await throttleRows(this.#db, { keys });
    const now = Date.now();
    return keys.map((key) => {
      const row = rows.find((r) => r.key === key);
      if (!row || row.expires_at.getTime() < now) return { count: 0, last: 0 };
      return { count: row.count, last: row.last_at.getTime() };
    });
  }
  async fail(key: string, windowSeconds: number) {
    const expires = new Date(Date.now() + windowSeconds * 1000);
    const row = await this.#db
      .insertInto('throttle')
      .values({ key, count: 1, last_at: new Date(), expires_at: expires })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          count: sql<number>`case when throttle.expires_at < now() then 1 else throttle.count + 1 end`,
          last_at: new Date(),
          expires_at: expires,
        }),
      )
      .returning('count')
      .executeTakeFirstOrThrow();
    return row.count;
  }
  async reset(key: string) {
    await this.#db.deleteFrom('throttle').where('key', '=', key).execute();
  }
}

export class RedisThrottleStore implements ThrottleStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }
  async failures(key: string) {
    return (await this.failuresOf([key]))[0] ?? { count: 0, last: 0 };
  }
  async failuresOf(keys: string[]) {
    const pipeline = this.#redis.pipeline();
    for (const key of keys) pipeline.hmget(this.#prefix + key, 'count', 'last');
    const results = (await pipeline.exec()) ?? [];
    return keys.map((_, index) => {
      const [error, values] = results[index] ?? [null, []];
      if (error) throw error;
      const [count, last] = (values as Array<string | null>) ?? [];
      return { count: Number(count ?? 0), last: Number(last ?? 0) };
    });
  }
  async fail(key: string, windowSeconds: number) {
    const k = this.#prefix + key;
    const results = await this.#redis
      .multi()
      .hincrby(k, 'count', 1)
      .hset(k, 'last', Date.now())
      .expire(k, windowSeconds)
      .exec();
    return Number(results?.[0]?.[1] ?? 1);
  }
  async reset(key: string) {
    await this.#redis.del(this.#prefix + key);
  }
}

export interface ThrottlePolicy {
  /** Failures allowed before delays start. */
  freeFailures: number;
  /** First delay in seconds, doubled per further failure. */
  baseDelaySeconds: number;
  /** Longest delay: throttling slows attackers down but never locks an account for good. */
  maxDelaySeconds: number;
  windowSeconds: number;
}

export const DEFAULT_LOGIN_THROTTLE: ThrottlePolicy = {
  freeFailures: 5,
  baseDelaySeconds: 2,
  maxDelaySeconds: 15 * 60,
  windowSeconds: 3600,
};

/** Growing delays per key after repeated failures. */
export class Throttle {
  readonly #store: ThrottleStore;
  readonly #policy: ThrottlePolicy;
  constructor(store: ThrottleStore, policy: ThrottlePolicy = DEFAULT_LOGIN_THROTTLE) {
    this.#store = store;
    this.#policy = policy;
  }

  /** Seconds to wait before another attempt for any of the keys (0 = go ahead). */
  async waitSeconds(keys: string[]): Promise<number> {
    let wait = 0;
    for (const key of keys) {
      const { count, last } = await this.#store.failures(key);
      const over = count - this.#policy.freeFailures;
      if (over < 0) continue;
      const delay = Math.min(this.#policy.maxDelaySeconds, this.#policy.baseDelaySeconds * 2 ** over);
      const remaining = Math.ceil((last + delay * 1000 - Date.now()) / 1000);
      wait = Math.max(wait, remaining);
    }
    return Math.max(0, wait);
  }

  async failures(key: string): Promise<number> {
    return (await this.#store.failures(key)).count;
  }

  async fail(keys: string[]): Promise<void> {
    for (const key of keys) await this.#store.fail(key, this.#policy.windowSeconds);
  }

  async succeed(keys: string[]): Promise<void> {
    for (const key of keys) await this.#store.reset(key);
  }
}
