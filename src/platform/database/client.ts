import pg from 'pg';
import { DependencyTimeout } from '../errors/dependency.ts';

/** Connection settings of `GuardedClient` beyond pg's own, passed through the pool's options. */
export interface GuardedClientConfig extends pg.ClientConfig {
  /**
   * Milliseconds after which a statement without an answer is given up (0: never). The connection
   * is then dropped (the pool opens a new one): a connection whose peer stopped answering (a
   * stalled network, a server that froze) would otherwise hold every later statement too.
   */
  readTimeoutMs?: number;
}

/**
 * A `pg` client that survives its connection dying and gives up on statements nobody answers.
 *
 * - The pool listens for `error` on idle clients only; a client whose connection dies while it is
 *   checked out (a reset connection, `pg_terminate_backend`, a server restart or failover) emits
 *   `error` with no listener, which ends the process. Here a client always has a listener: the
 *   error reaches the statements that were waiting (they fail), the client is no longer
 *   queryable, and the pool discards it when it is released.
 * - `readTimeoutMs` bounds the wait for an answer on the client side. The server's own
 *   `statement_timeout` ends slow statements (and keeps the connection); this catches the cases
 *   where no answer arrives at all.
 */
export class GuardedClient extends pg.Client {
  readonly #readTimeoutMs: number;

  constructor(config?: string | GuardedClientConfig) {
    super(config);
    this.#readTimeoutMs = typeof config === 'object' ? (config.readTimeoutMs ?? 0) : 0;
    // The statements in flight get the error; nothing else is to be done with it here.
    this.on('error', () => {});
  }

  // The overloads of pg's `query` are many; only the promise forms (`query(text, values)`,
  // `query(config)`, what Kysely and PreparingClient use) get the read timeout.
  override query(...args: never[]): never {
    const run = (super.query as (...all: unknown[]) => unknown).apply(this, args);
    if (this.#readTimeoutMs <= 0 || !(run instanceof Promise)) return run as never;
    return this.#bounded(run) as never;
  }

  #bounded(run: Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new DependencyTimeout(`PostgreSQL did not answer within ${this.#readTimeoutMs} ms`));
        // The answer may never come: drop the connection so that the pool replaces it.
        const stream = (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection
          ?.stream;
        stream?.destroy();
      }, this.#readTimeoutMs);
      run.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
