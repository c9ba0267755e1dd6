import type { PGlite } from '@electric-sql/pglite';

/**
 * Presents an embedded PGlite database as the small part of the `pg` Pool interface that Kysely's
 * PostgresDialect uses. PGlite has exactly one connection, so connections are handed out one at a
 * time (a transaction keeps it until it commits); other callers wait in order.
 */
export class PGlitePool {
  readonly #db: PGlite;
  #tail: Promise<void> = Promise.resolve();

  constructor(db: PGlite) {
    this.#db = db;
  }

  async connect(): Promise<PGliteClient> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.#tail;
    this.#tail = previous.then(() => next);
    await previous;
    return new PGliteClient(this.#db, release);
  }

  async end(): Promise<void> {
    await this.#tail;
    await this.#db.close();
  }
}

const COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'SELECT']);

export class PGliteClient {
  readonly #db: PGlite;
  readonly #release: () => void;
  #released = false;

  constructor(db: PGlite, release: () => void) {
    this.#db = db;
    this.#release = release;
  }

  async query(sql: string, parameters?: readonly unknown[]) {
    const result = await this.#db.query<Record<string, unknown>>(sql, parameters as unknown[] | undefined);
    const verb = /^\s*(?:with\b[\s\S]*?\)\s*)?(\w+)/i.exec(sql)?.[1]?.toUpperCase() ?? '';
    return {
      command: COMMANDS.has(verb) ? verb : 'OTHER',
      rowCount: result.affectedRows ?? result.rows.length,
      rows: result.rows,
    };
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#release();
  }
}
