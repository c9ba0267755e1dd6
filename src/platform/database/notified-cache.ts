import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { AnnouncedCopies } from './announced-copies.ts';
import { deepFreeze } from './frozen-values.ts';
import type { Notifications, NotificationWarning } from './notifications.ts';

export interface NotifiedCacheOptions<V> {
  /** Reads the value of `key` from the database; undefined (none) is not kept. */
  load(key: string): Promise<V | undefined>;
  /** Longest a value is kept, even when no change is announced (default 60 s). */
  maxAgeMs?: number;
  /** Most values kept; the oldest go first (default 100,000). */
  maxEntries?: number;
  /**
   * Values made of many rows (e.g. the list of a table): any announced change drops them all. The
   * table must then announce new rows too (`announceChanges` with `insert`).
   */
  whole?: boolean;
}

/**
 * A per-process copy of rows the database announces the changes of: a trigger of the owning
 * module's table notifies (`changeChannel`, `announceChanges`) the key of every row that changes
 * or goes, at commit, and every node drops its copy when it hears it. So a node serves a value
 * from memory only while nothing changed it: a suspension, a profile edit or a revocation made on
 * any node, by any writer (a console, a job, an operator's SQL), is seen by the next request of
 * every node once the notification arrived — the same moment a database read would have seen it,
 * give or take the delivery (well under a millisecond on one network).
 *
 * While the listening connection is down (notifications sent meanwhile are lost) nothing is
 * served from memory: every read goes to the database, and the copy is dropped. Values are kept at
 * most `maxAgeMs` in any case. A read under way when a change is announced is not kept (its
 * pending answer is kept from the start, and the announcement drops it; see AnnouncedCopies).
 * Values are shared by every request that reads them: they are frozen.
 */
export class NotifiedCache<V> {
  readonly #load: (key: string) => Promise<V | undefined>;
  readonly #copies: AnnouncedCopies<Promise<V | undefined>>;

  constructor(options: NotifiedCacheOptions<V>) {
    this.#load = options.load;
    this.#copies = new AnnouncedCopies({
      maxAgeMs: options.maxAgeMs ?? 60_000,
      maxEntries: options.maxEntries ?? 100_000,
      ...(options.whole ? { whole: true } : {}),
    });
  }

  /**
   * Starts hearing the changes announced on `channel`; values are kept from then on. Until then,
   * and whenever the notifications are not heard, `get` reads the database.
   */
  follow(notifications: Notifications, channel: string, warn?: NotificationWarning): Promise<void> {
    return this.#copies.follow(notifications, channel, warn);
  }

  /**
   * Follows the changes the owner's table announces (`announceChanges` with this `name`), warning
   * on `log` when they are not heard. If they cannot be followed at all, warns `unheard` and goes on
   * reading the database every time.
   */
  async followTable(
    db: Kysely<unknown>,
    name: string,
    notifications: Notifications,
    log: { warn(details: object, message: string): void },
    unheard: string,
  ): Promise<void> {
    try {
      const channel = await changeChannel(db, name);
      await this.follow(notifications, channel, (error, message) => log.warn({ err: error }, message));
    } catch (error) {
      log.warn({ err: error }, unheard);
    }
  }

  close(): Promise<void> {
    return this.#copies.close();
  }

  /**
   * The value of `key`: this node's copy while nothing changed it, else read (once for concurrent
   * callers) by `load` (a read that needs more than the key), by default the cache's own.
   */
  get(key: string, load = () => this.#load(key)): Promise<V | undefined> {
    const hit = this.#copies.heard ? this.#copies.get(key) : undefined;
    return hit ?? this.#read(key, load);
  }

  /** The value of `key` as the database has it now; kept for the next `get` (when followed). */
  refresh(key: string): Promise<V | undefined> {
    return this.refreshWith(key, () => this.#load(key));
  }

  /**
   * The value of `key` as `load` reads it now (a read that brings it along with something else);
   * kept for the next `get` (when followed), as `refresh` keeps it.
   */
  refreshWith(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    this.#copies.forget([key]);
    return this.#read(key, load);
  }

  #read(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    if (!this.#copies.heard) return load();
    const value: Promise<V | undefined> = load().then((loaded) => {
      if (loaded === undefined) this.#copies.drop(key, value);
      return loaded === undefined ? undefined : deepFreeze(loaded);
    });
    value.catch(() => this.#copies.drop(key, value));
    this.#copies.keep(key, value);
    return value;
  }

  /** Drops this node's copy of `key` (the owner's own writes; other nodes hear the trigger). */
  forget(key: string): void {
    this.#copies.forget([key]);
  }

  /** How many values this node keeps (for tests and metrics). */
  get size(): number {
    return this.#copies.size;
  }
}

/**
 * The channel on which the changes of `name` in this role's schema are announced (the schema is
 * part of it: roles sharing a PostgreSQL database hear only their own).
 */
export async function changeChannel(db: Kysely<unknown>, name: string): Promise<string> {
  const { rows } = await sql<{
    channel: string;
  }>`select ${`edugate_${name}_`} || current_schema() as channel`.execute(db);
  return rows[0]?.channel ?? `edugate_${name}_public`;
}

/**
 * Migration step: makes `table` announce on `changeChannel(name)` the `key` column of each row
 * that changes, at commit: every UPDATE (narrowed by `whenUpdate`, SQL over `old` and `new`, e.g.
 * to the columns a cache keeps) and DELETE (narrowed by `whenDelete`, over `old`), and INSERT when
 * `insert` (a new row that changes what a cached key stands for, e.g. an account's new identity).
 * The trigger function is shared by the tables of a schema; migrations use this, so keep it
 * compatible.
 */
export async function announceChanges(
  db: Kysely<unknown>,
  options: {
    table: string;
    name: string;
    key: string;
    trigger: string;
    whenUpdate?: string;
    whenDelete?: string;
    insert?: boolean;
    /** Only these events (a later migration adding one to a table that announces the others). */
    only?: Array<'update' | 'delete' | 'insert'>;
  },
): Promise<void> {
  await sql`create or replace function edugate_announce_change() returns trigger language plpgsql as $$
begin
  perform pg_notify('edugate_' || tg_argv[0] || '_' || tg_table_schema,
    (case when tg_op = 'DELETE' then to_jsonb(old) else to_jsonb(new) end) ->> tg_argv[1]);
  return null;
end $$`.execute(db);
  const events: Array<[string, string | undefined]> = [
    ['update', options.whenUpdate],
    ['delete', options.whenDelete],
  ];
  if (options.insert) events.push(['insert', undefined]);
  const only = options.only;
  for (const [event, when] of only ? events.filter(([event]) => only.includes(event as 'insert')) : events) {
    await sql
      .raw(
        `create trigger ${options.trigger}_${event} after ${event} on ${options.table} for each row
        ${when ? `when (${when})` : ''}
        execute function edugate_announce_change('${options.name}', '${options.key}')`,
      )
      .execute(db);
  }
}
