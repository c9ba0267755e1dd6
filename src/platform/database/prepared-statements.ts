import { createHash } from 'node:crypto';
import type pg from 'pg';
import { GuardedClient } from './client.ts';

/**
 * PostgreSQL connections that run each statement as a named prepared statement, the way
 * postgres.js does by default: the server parses and plans a statement text once per connection
 * and then only binds and executes it (for the short primary-key reads and writes of a login or a
 * token request, parsing and planning are most of the server's work).
 *
 * Kysely sends the same SQL text for the same query shape (values travel as parameters), so the
 * set of texts is small. At most `MAX_STATEMENTS` texts are prepared per process; any others run
 * unnamed as before. Transaction control and other utility statements always run unnamed.
 *
 * After a migration changes a table under a running node, PostgreSQL refuses a prepared
 * `select *` of it ("cached plan must not change result type"). That text is then never prepared
 * again in this process, and the statement is run once more unnamed — unless it ran inside a
 * transaction, which the error has aborted: then the error goes to the caller (the transaction
 * fails as on any other error, and its retry runs unnamed).
 */
const MAX_STATEMENTS = 2000;
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;
const TRANSACTION = /^\s*(begin|start transaction|commit|end|rollback|abort)\b/i;

const names = new Map<string, string>();
const refused = new Set<string>();

function statementName(text: string): string | undefined {
  if (refused.has(text) || !PREPARABLE.test(text)) return undefined;
  let name = names.get(text);
  if (name === undefined) {
    if (names.size >= MAX_STATEMENTS) return undefined;
    name = `eg_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

function planChanged(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e.code === '0A000' && /cached plan must not change result type/i.test(e.message ?? '');
}

type QueryResult = pg.QueryResult<Record<string, unknown>>;

/** A `pg` client whose `query(text, values)` calls (the form Kysely uses) run prepared. */
export class PreparingClient extends GuardedClient {
  #inTransaction = false;

  // The overloads of pg's `query` are many; Kysely only ever calls `query(text, values)`.
  override query(...args: never[]): never {
    const [text, values] = args as unknown as [unknown, unknown];
    if (typeof text !== 'string' || (values !== undefined && !Array.isArray(values)) || args.length > 2) {
      return (super.query as (...all: unknown[]) => never).apply(this, args);
    }
    return this.#run(text, (values as unknown[] | undefined) ?? []) as never;
  }

  #send(query: string | pg.QueryConfig, values?: unknown[]): Promise<QueryResult> {
    const send = super.query as unknown as (...all: unknown[]) => Promise<QueryResult>;
    return send.call(this, query, values);
  }

  async #run(text: string, values: unknown[]): Promise<QueryResult> {
    if (TRANSACTION.test(text)) {
      const result = await this.#send(text, values);
      this.#inTransaction = /^\s*(begin|start)/i.test(text);
      return result;
    }
    const name = statementName(text);
    if (name === undefined) return this.#send(text, values);
    try {
      return await this.#send({ name, text, values });
    } catch (error) {
      if (!planChanged(error)) throw error;
      refused.add(text);
      names.delete(text);
      if (this.#inTransaction) throw error;
      return this.#send(text, values);
    }
  }
}
