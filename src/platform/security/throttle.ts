import type { Redis } from 'ioredis';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { PlatformTables } from '../database/platform-schema.ts';
import { statement } from '../database/statement.ts';

/** Counts failures per key (account, client address) within a window. */
export interface ThrottleStore {
  failures(key: string): Promise<Failures>;
  /** The failures of several keys in one read, in the order of `keys`. */
  failuresOf(keys: string[]): Promise<Failures[]>;
  fail(key: string, windowSeconds: number): Promise<number>;
  reset(key: string): Promise<void>;
}

/** A key's failures: how many within the window, and when the last one was (epoch ms; 0 = none). */
export interface Failures {
  count: number;
  last: number;
}

/** A stored counter as `failuresColumn` reads it (times in epoch ms). */
export interface FailureRow {
  key: string;
  count: number;
  last: number;
  expires: number;
}

/**
 * The counters of `keys` (stored keys, see `DatabaseThrottleStore.storedKeys`) as one JSON column,
 * for a statement that reads them together with other rows of the same database: a login reads
 * its throttle counters and the account in one round trip.
 */
export function failuresColumn(keys: string[]): RawBuilder<FailureRow[]> {
  return sql<FailureRow[]>`coalesce((select json_agg(json_build_object(
    'key', t.key,
    'count', t.count,
    'last', (extract(epoch from t.last_at) * 1000)::float8,
    'expires', (extract(epoch from t.expires_at) * 1000)::float8
  )) from throttle t where t.key = any(${keys})), '[]'::json)`;
}

/** The failures of each of `keys` among `rows`, in the order of `keys`; expired counters count 0. */
export function failuresIn(keys: string[], rows: FailureRow[], now = Date.now()): Failures[] {
  return keys.map((key) => {
    const row = rows.find((r) => r.key === key);
    if (!row || row.expires < now) return { count: 0, last: 0 };
    return { count: row.count, last: row.last };
  });
}

// Read before every password check, compiled once (see statement.ts).
const throttleRows = statement((db: Kysely<PlatformTables>, v: { keys: string[] }) =>
  db.selectNoFrom(failuresColumn(v.keys).as('rows')),
);

/**
 * Counters in the role's database, one row per key. Keys are stored under the store's prefix, so
 * that throttles of different purposes (logins, password resets) never share a counter.
 */
export class DatabaseThrottleStore implements ThrottleStore {
  readonly #db: Kysely<PlatformTables>;
  readonly #prefix: string;
  constructor(db: Kysely<PlatformTables>, prefix: string) {
    this.#db = db;
    this.#prefix = `${prefix}:`;
  }
  /** The keys as stored (for `failuresColumn` in a statement of the caller's). */
  storedKeys(keys: string[]): string[] {
    return keys.map((key) => this.#prefix + key);
  }
  async failures(key: string) {
    return (await this.failuresOf([key]))[0] ?? { count: 0, last: 0 };
  }
  async failuresOf(keys: string[]) {
    const stored = this.storedKeys(keys);
    const [row] = await throttleRows(this.#db, { keys: stored });
    return failuresIn(stored, row?.rows ?? []);
  }
  async fail(key: string, windowSeconds: number) {
    const expires = new Date(Date.now() + windowSeconds * 1000);
    const row = await this.#db
      .insertInto('throttle')
      .values({ key: this.#prefix + key, count: 1, last_at: new Date(), expires_at: expires })
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
    await this.#db
      .deleteFrom('throttle')
      .where('key', '=', this.#prefix + key)
      .execute();
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
