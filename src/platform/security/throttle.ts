import type { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import type { PlatformTables } from '../database/platform-schema.ts';
import { statement } from '../database/statement.ts';
import { RedisScript } from '../runtime/redis-script.ts';

/**
 * Counters per key (an account, a device, a client address) within a fixed window: the window
 * starts with a key's first count and is not stretched by later ones, so a key that keeps being
 * counted is free again when its window ends.
 */
export interface ThrottleStore {
  /** The counts of several keys in one read, in the order of `keys`. */
  countsOf(keys: string[]): Promise<Counter[]>;
  /**
   * Counts one more for each of `keys` and returns their counts including it, atomically: of
   * concurrent calls each sees a count of its own, so a budget checked against the returned count
   * lets exactly as many attempts through as it allows, however many arrive at once.
   */
  take(keys: string[], windowSeconds: number): Promise<Counter[]>;
  /** Takes back one count of each of `keys` (an attempt that turned out not to count). */
  giveBack(keys: string[]): Promise<void>;
  /** Forgets the counts of `reset` and takes back one of each of `giveBack`, in one step (a sign-in). */
  settle(reset: string[], giveBack: string[]): Promise<void>;
  reset(key: string): Promise<void>;
}

/** A key's count within its window, and when the window ends (epoch ms; 0 = no count). */
export interface Counter {
  count: number;
  resetAt: number;
}

const NONE: Counter = { count: 0, resetAt: 0 };

// Read before a login form is shown (whether to ask for a challenge), compiled once (see statement.ts).
const counterRows = statement((db: Kysely<PlatformTables>, v: { keys: string[]; now: Date }) =>
  db
    .selectFrom('throttle')
    .select(['key', 'count', 'expires_at'])
    .where('key', '=', sql<string>`any(${v.keys})`)
    .where('expires_at', '>', v.now),
);

// One statement counts every key: a row per key, inserted or counted up, its window renewed only
// once it has ended. Concurrent statements on one key queue on its row lock, each seeing the count
// of the one before.
const takeRows = statement((db: Kysely<PlatformTables>, v: { keys: string[]; now: Date; expires: Date }) =>
  db
    .insertInto('throttle')
    .columns(['key', 'count', 'last_at', 'expires_at'])
    .expression(
      db.selectNoFrom([
        sql<string>`unnest(${v.keys}::text[])`.as('key'),
        sql<number>`1`.as('count'),
        sql<Date>`${v.now}::timestamptz`.as('last_at'),
        sql<Date>`${v.expires}::timestamptz`.as('expires_at'),
      ]),
    )
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        count: sql<number>`case when throttle.expires_at <= excluded.last_at then 1 else throttle.count + 1 end`,
        expires_at: sql<Date>`case when throttle.expires_at <= excluded.last_at then excluded.expires_at else throttle.expires_at end`,
        last_at: sql<Date>`excluded.last_at`,
      }),
    )
    .returning(['key', 'count', 'expires_at']),
);

// A sign-in's settling of its counters, compiled once (see statement.ts).
const settleRows = statement((db: Kysely<PlatformTables>, v: { reset: string[]; giveBack: string[] }) =>
  db
    .with('forgotten', (q) => q.deleteFrom('throttle').where('key', '=', sql<string>`any(${v.reset})`))
    .updateTable('throttle')
    .set({ count: sql<number>`greatest(count - 1, 0)` })
    .where('key', '=', sql<string>`any(${v.giveBack})`),
);

// Sorted: statements that count the same keys lock their rows in the same order (no deadlock).
const distinct = (keys: string[]) => [...new Set(keys)].sort();

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
  async countsOf(keys: string[]) {
    const rows = await counterRows(this.#db, { keys: keys.map((k) => this.#prefix + k), now: new Date() });
    return keys.map((key) => {
      const row = rows.find((r) => r.key === this.#prefix + key);
      return row ? { count: row.count, resetAt: row.expires_at.getTime() } : NONE;
    });
  }
  async take(keys: string[], windowSeconds: number) {
    const now = new Date();
    const stored = distinct(keys).map((k) => this.#prefix + k);
    const rows = await takeRows(this.#db, {
      keys: stored,
      now,
      expires: new Date(now.getTime() + windowSeconds * 1000),
    });
    return keys.map((key) => {
      const row = rows.find((r) => r.key === this.#prefix + key);
      return row ? { count: row.count, resetAt: row.expires_at.getTime() } : NONE;
    });
  }
  async giveBack(keys: string[]) {
    await this.#db
      .updateTable('throttle')
      .set({ count: sql<number>`greatest(count - 1, 0)` })
      .where(
        'key',
        'in',
        distinct(keys).map((k) => this.#prefix + k),
      )
      .execute();
  }
  async settle(reset: string[], giveBack: string[]) {
    await settleRows(this.#db, {
      reset: reset.map((k) => this.#prefix + k),
      giveBack: giveBack.map((k) => this.#prefix + k),
    });
  }
  async reset(key: string) {
    await this.#db
      .deleteFrom('throttle')
      .where('key', '=', this.#prefix + key)
      .execute();
  }
}

// Each key: one more, its window set with the first count (and on a key left without one); the
// count and the milliseconds left, for every key, in one atomic step. (TAKE and SETTLE are exported
// for the login bench's floor, which takes and settles budgets as this store does.)
export const TAKE = new RedisScript(`
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  out[#out + 1] = count
  out[#out + 1] = ttl
end
return out`);

// One back for each key that still counts.
const GIVE_BACK = new RedisScript(`
for i, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key))
  if count and count > 0 then redis.call('DECR', key) end
end
return 0`);

// Forgets the first ARGV[1] keys, takes one back from each of the others that still counts.
export const SETTLE = new RedisScript(`
for i, key in ipairs(KEYS) do
  if i <= tonumber(ARGV[1]) then
    redis.call('DEL', key)
  else
    local count = tonumber(redis.call('GET', key))
    if count and count > 0 then redis.call('DECR', key) end
  end
end
return 0`);

export class RedisThrottleStore implements ThrottleStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }
  async countsOf(keys: string[]) {
    const pipeline = this.#redis.pipeline();
    for (const key of keys) {
      pipeline.get(this.#prefix + key);
      pipeline.pttl(this.#prefix + key);
    }
    const results = (await pipeline.exec()) ?? [];
    const now = Date.now();
    return keys.map((_, index) => {
      const [countError, count] = results[2 * index] ?? [null, null];
      const [ttlError, ttl] = results[2 * index + 1] ?? [null, -2];
      if (countError) throw countError;
      if (ttlError) throw ttlError;
      const n = Number(count ?? 0);
      return n > 0 ? { count: n, resetAt: now + Math.max(0, Number(ttl)) } : NONE;
    });
  }
  async take(keys: string[], windowSeconds: number) {
    const unique = distinct(keys);
    const now = Date.now();
    const out = (await TAKE.run(
      this.#redis,
      unique.map((k) => this.#prefix + k),
      [String(windowSeconds * 1000)],
    )) as number[];
    return keys.map((key) => {
      const index = unique.indexOf(key);
      return { count: Number(out[2 * index]), resetAt: now + Number(out[2 * index + 1]) };
    });
  }
  async giveBack(keys: string[]) {
    const unique = distinct(keys);
    await GIVE_BACK.run(
      this.#redis,
      unique.map((k) => this.#prefix + k),
    );
  }
  async settle(reset: string[], giveBack: string[]) {
    const keys = [...reset, ...giveBack].map((k) => this.#prefix + k);
    await SETTLE.run(this.#redis, keys, [String(reset.length)]);
  }
  async reset(key: string) {
    await this.#redis.del(this.#prefix + key);
  }
}

/** How many counts a key may have within its window. */
export interface Budget {
  limit: number;
  windowSeconds: number;
}

/** Seconds until a counter's window ends (at least 1). */
export function secondsUntil(counter: Counter, now = Date.now()): number {
  return Math.max(1, Math.ceil((counter.resetAt - now) / 1000));
}

/** A budget of attempts per key: each attempt is taken from it before the work it guards. */
export class Throttle {
  readonly #store: ThrottleStore;
  readonly #budget: Budget;
  constructor(store: ThrottleStore, budget: Budget) {
    this.#store = store;
    this.#budget = budget;
  }

  /**
   * Takes one attempt from the budget of every key: 0 when all had one left, else the seconds
   * until the first of them that had none has one again (the attempt is then not to be made).
   */
  async take(keys: string[]): Promise<number> {
    const counters = await this.#store.take(keys, this.#budget.windowSeconds);
    let wait = 0;
    for (const counter of counters)
      if (counter.count > this.#budget.limit) wait = Math.max(wait, secondsUntil(counter));
    return wait;
  }

  /** Takes back the attempt of every key (it was not made after all, or turned out not to count). */
  async giveBack(keys: string[]): Promise<void> {
    await this.#store.giveBack(keys);
  }

  async reset(keys: string[]): Promise<void> {
    for (const key of keys) await this.#store.reset(key);
  }
}
