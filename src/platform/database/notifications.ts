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

/** How often the listening connection is asked whether it still answers. */
const HEARTBEAT_MS = 2000;
/** A listening connection that answered nothing for this long counts as lost (a silent network). */
const SILENT_MS = 5000;

/**
 * PostgreSQL: one dedicated connection (outside the pool, opened at the first `listen`) holds the
 * `LISTEN`s. When it fails it is replaced, with growing pauses up to 30 s; once listening again,
 * each handler is called with `undefined`, since notifications sent meanwhile were lost. A
 * connection that stops answering without failing (a black-holed network) is found out by a
 * heartbeat (`select 1` every 2 s): after 5 s of silence it no longer counts as `listening`, and
 * is replaced.
 */
export class PostgresNotifications implements Notifications {
  readonly #url: string;
  readonly #handlers = new Map<string, Set<NotificationHandler>>();
  #warn: NotificationWarning = () => {};
  #client: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #retryMs = 500;
  #timer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #heardAt = 0;
  #closed = false;

  constructor(url: string) {
    this.#url = url;
  }

  get listening(): boolean {
    return this.#client !== undefined && !this.#closed && Date.now() - this.#heardAt < SILENT_MS;
  }

  async listen(channel: string, handler: NotificationHandler, warn?: NotificationWarning) {
    if (warn) this.#warn = warn;
    const fresh = !this.#handlers.has(channel);
    const set = this.#handlers.get(channel) ?? new Set<NotificationHandler>();
    this.#handlers.set(channel, set);
    set.add(handler);
    if (!this.#client) await this.#connect();
    else if (fresh) await this.#client.query(`listen ${pg.escapeIdentifier(channel)}`);
    return async () => {
      set.delete(handler);
      if (set.size > 0) return;
      this.#handlers.delete(channel);
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
      this.#heardAt = Date.now();
      for (const handler of this.#handlers.get(message.channel) ?? []) handler(message.payload);
    });
    try {
      await client.connect();
      for (const channel of this.#handlers.keys())
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
    const reconnected = this.#retryMs > 500;
    this.#client = client;
    this.#heardAt = Date.now();
    this.#retryMs = 500;
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => this.#beat(client), HEARTBEAT_MS);
    this.#heartbeat.unref();
    if (reconnected) for (const set of this.#handlers.values()) for (const handler of set) handler(undefined);
  }

  #beat(client: pg.Client): void {
    if (this.#client !== client) return;
    if (Date.now() - this.#heardAt >= SILENT_MS) {
      this.#lost(client, new Error(`the listening connection answered nothing for ${SILENT_MS} ms`));
      return;
    }
    client.query('select 1').then(
      () => {
        if (this.#client === client) this.#heardAt = Date.now();
      },
      (error: unknown) => this.#lost(client, error),
    );
  }

  #lost(client: pg.Client, error: unknown): void {
    if (this.#closed || (this.#client !== undefined && this.#client !== client)) return;
    if (this.#timer) return; // a reconnection is already planned
    this.#client = undefined;
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
  readonly #lite: PGlite;
  readonly #pool: Turns;
  constructor(lite: PGlite, pool: Turns) {
    this.#lite = lite;
    this.#pool = pool;
  }
  readonly listening = true;
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
