import { randomBytes } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { PGliteClient } from './pglite-pool.ts';

/** Turns on PGlite's one connection. */
interface Turns {
  connect(): Promise<PGliteClient>;
}

/** Receives `NOTIFY` messages of one channel; `undefined` after a reconnection (some may be lost). */
export type NotificationHandler = (payload: string | undefined) => void;

/** Warnings of a listening connection (lost, reconnecting), for the caller's log. */
export type NotificationWarning = (error: unknown, message: string) => void;

/** `LISTEN` on the role's database: the way one process tells the others that something is new. */
export interface Notifications {
  /** Calls `handler` for every notification on `channel` until the returned function is called. */
  listen(
    channel: string,
    handler: NotificationHandler,
    warn?: NotificationWarning,
  ): Promise<() => Promise<void>>;
  /**
   * Whether notifications are heard right now: false while the listening connection is down (what
   * is sent meanwhile is lost; handlers are called with `undefined` once it is back).
   */
  readonly listening: boolean;
  close(): Promise<void>;
}

/**
 * The handlers of each channel a `Notifications` listens on: what both kinds (PostgreSQL `LISTEN`,
 * Redis `SUBSCRIBE`) keep alike.
 */
export class ChannelHandlers {
  readonly #handlers = new Map<string, Set<NotificationHandler>>();

  /** Adds `handler`; `fresh` when it is the channel's first (the connection must start listening). */
  add(channel: string, handler: NotificationHandler): { fresh: boolean; remove(): boolean } {
    const fresh = !this.#handlers.has(channel);
    const set = this.#handlers.get(channel) ?? new Set<NotificationHandler>();
    this.#handlers.set(channel, set);
    set.add(handler);
    return {
      fresh,
      /** Removes it; true when it was the channel's last (the connection may stop listening). */
      remove: () => {
        set.delete(handler);
        if (set.size > 0) return false;
        this.#handlers.delete(channel);
        return true;
      },
    };
  }

  channels(): string[] {
    return [...this.#handlers.keys()];
  }

  /** Hands `payload` to the channel's handlers; `undefined` to every handler: some may be lost. */
  dispatch(channel: string, payload: string | undefined): void {
    for (const handler of this.#handlers.get(channel) ?? []) handler(payload);
  }

  lost(): void {
    for (const set of this.#handlers.values()) for (const handler of set) handler(undefined);
  }
}

/** How often the listening connection sends itself a notification (the heartbeat). */
const HEARTBEAT_MS = 2000;
/** A listening connection that heard nothing for this long counts as lost (a silent network). */
const SILENT_MS = 5000;

/**
 * PostgreSQL: one dedicated connection (outside the pool, opened at the first `listen`) holds the
 * `LISTEN`s. When it fails it is replaced, with growing pauses up to 30 s; once listening again,
 * each handler is called with `undefined`, since notifications sent meanwhile were lost.
 *
 * Every 2 s the connection notifies a channel of its own and must hear it: `listening` is true only
 * while it heard something in the last 5 s. That finds out a connection that stops answering
 * without failing (a black-holed network; it is then replaced), and one whose notifications never
 * arrive at all (behind a pooler in transaction mode, which does not keep a `LISTEN`): callers that
 * rely on hearing every change (`NotifiedCache`) then read the database instead.
 */
export class PostgresNotifications implements Notifications {
  readonly #url: string;
  readonly #handlers = new ChannelHandlers();
  /** The heartbeat's own channel (one per process and instance). */
  readonly #heartbeatChannel = `edugate_heartbeat_${process.pid}_${randomBytes(6).toString('hex')}`;
  #warn: NotificationWarning = () => {};
  #client: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #retryMs = 500;
  #timer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #heardAt = 0;
  /** Notifications may have been sent while no connection listened (handlers hear `undefined`). */
  #missed = false;
  #closed = false;

  constructor(url: string) {
    this.#url = url;
  }

  get listening(): boolean {
    return this.#client !== undefined && !this.#closed && Date.now() - this.#heardAt < SILENT_MS;
  }

  async listen(channel: string, handler: NotificationHandler, warn?: NotificationWarning) {
    if (warn) this.#warn = warn;
    const added = this.#handlers.add(channel, handler);
    if (!this.#client) await this.#connect();
    else if (added.fresh) await this.#client.query(`listen ${pg.escapeIdentifier(channel)}`);
    return async () => {
      if (!added.remove()) return;
      await this.#client?.query(`unlisten ${pg.escapeIdentifier(channel)}`).catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#heartbeat);
    await this.#connecting?.catch(() => {});
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  #connect(): Promise<void> {
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #open(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url, application_name: 'edugate-listen' });
    // Without an error handler a lost connection would crash the process.
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('connection ended')));
    client.on('notification', (message) => {
      if (this.#client !== client) return;
      this.#heard();
      this.#handlers.dispatch(message.channel, message.payload);
    });
    const heard = new Promise<void>((resolve) => {
      const first = (message: pg.Notification) => {
        if (message.channel !== this.#heartbeatChannel) return;
        client.off('notification', first);
        resolve();
      };
      client.on('notification', first);
    });
    try {
      await client.connect();
      for (const channel of [this.#heartbeatChannel, ...this.#handlers.channels()])
        await client.query(`listen ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      client.end().catch(() => {});
      this.#lost(client, error);
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => this.#beat(client), HEARTBEAT_MS);
    this.#heartbeat.unref();
    // Listening from here on: what was sent while nothing listened is lost. It counts as listening
    // once it heard itself (a pooler that drops `LISTEN` never gets there).
    this.#beat(client);
    const alive = await Promise.race([
      heard.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000).unref()),
    ]);
    if (!alive) {
      this.#warn(
        new Error(`no notification heard within 1 s on ${this.#heartbeatChannel}`),
        'notifications are not heard yet (a connection pooler in transaction mode drops LISTEN: give the nodes a direct DATABASE_URL); what relies on them reads the database meanwhile',
      );
    }
    if (this.#missed) {
      this.#missed = false;
      this.#handlers.lost();
    }
  }

  #heard(): void {
    this.#heardAt = Date.now();
    this.#retryMs = 500;
  }

  #beat(client: pg.Client): void {
    if (this.#client !== client) return;
    if (this.#heardAt > 0 && Date.now() - this.#heardAt >= SILENT_MS) {
      this.#heardAt = 0;
      this.#lost(client, new Error(`the listening connection heard nothing for ${SILENT_MS} ms`));
      return;
    }
    client
      .query('select pg_notify($1, $2)', [this.#heartbeatChannel, String(Date.now())])
      .catch((error: unknown) => this.#lost(client, error));
  }

  #lost(client: pg.Client, error: unknown): void {
    if (this.#closed || (this.#client !== undefined && this.#client !== client)) return;
    if (this.#timer) return; // a reconnection is already planned
    this.#client = undefined;
    this.#missed = true;
    clearInterval(this.#heartbeat);
    client.removeAllListeners('end');
    client.end().catch(() => {});
    this.#warn(error, `notification connection lost; reconnecting in ${this.#retryMs} ms`);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#connect();
    }, this.#retryMs);
    this.#timer.unref();
    this.#retryMs = Math.min(30_000, this.#retryMs * 2);
  }
}

/** PGlite: one process holds the database, so its own notifications are all there is to hear. */
export class PGliteNotifications implements Notifications {
  readonly listening = true;
  readonly #lite: PGlite;
  readonly #pool: Turns;
  constructor(lite: PGlite, pool: Turns) {
    this.#lite = lite;
    this.#pool = pool;
  }
  async listen(channel: string, handler: NotificationHandler) {
    // Its turn on the one connection: a LISTEN inside another caller's transaction could be undone.
    const turn = await this.#pool.connect();
    let stop: () => Promise<void>;
    try {
      stop = await this.#lite.listen(channel, (payload) => handler(payload));
    } finally {
      turn.release();
    }
    return async () => {
      const again = await this.#pool.connect();
      try {
        await stop();
      } catch {
        // The database is already closed: nothing listens any more.
      } finally {
        again.release();
      }
    };
  }
  async close(): Promise<void> {}
}
