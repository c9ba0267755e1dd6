import { type QueryExecutorProvider, type RawBuilder, type Selectable, sql, type Updateable } from 'kysely';
import type { Flow } from './flow.ts';

/**
 * Where a flow keeps its state: a row of its own (a first login, a registration), or a domain row
 * whose state column the flow moves (a transfer request, a workspace account's activation).
 */
export interface FlowStore<S extends string, E extends string, Row, Change> {
  readonly flow: Flow<S, E>;
  /**
   * Takes `event` on the flow `id` with `change`, in one statement: only from a state the table
   * lists for the event (and before the flow expired). The flow as it is now, or undefined when it
   * was in none of those states: then nothing was written, so a replayed or out-of-order form, a
   * second tab or a job run twice changes nothing.
   */
  take(db: QueryExecutorProvider, id: string, event: E, change?: Change): Promise<Row | undefined>;
}

export interface FlowTableSpec<Columns extends string> {
  /** The column that names one flow. */
  key: Columns;
  /** The state column (default `state`). */
  state?: Columns;
  /** A timestamp column: a flow past it takes no transition (and `sweep` deletes it). */
  expires?: Columns;
}

/** A column's new value: a value, or SQL such as `sql\`now()\``. */
type Change<Table> = { [K in keyof Updateable<Table>]?: Updateable<Table>[K] | RawBuilder<unknown> };

/**
 * The store of flows whose state is a column of table `T` of database `DB`; each transition is one
 * conditional `UPDATE … SET state = <next> WHERE state IN (<the event's states>)`.
 *
 * ```ts
 * export const registrations = flowTable<CountyTables>()('county_registration_flows', REGISTRATION, {
 *   key: 'id',
 *   expires: 'expires_at',
 * });
 * await registrations.take(tx, flow.id, 'acceptTerms', { terms_version: '3' });
 * ```
 */
export class FlowTable<DB, T extends keyof DB & string, S extends string, E extends string>
  implements FlowStore<S, E, Selectable<DB[T]>, Change<DB[T]>>
{
  readonly table: T;
  readonly flow: Flow<S, E>;
  readonly #key: string;
  readonly #state: string;
  readonly #expires: string | undefined;

  constructor(table: T, flow: Flow<S, E>, spec: FlowTableSpec<keyof DB[T] & string>) {
    this.table = table;
    this.flow = flow;
    this.#key = spec.key;
    this.#state = spec.state ?? 'state';
    this.#expires = spec.expires;
  }

  async take(
    db: QueryExecutorProvider,
    id: string,
    event: E,
    change: Change<DB[T]> = {},
  ): Promise<Selectable<DB[T]> | undefined> {
    const [row] = await this.takeWhere(db, { [this.#key]: id }, event, change);
    return row;
  }

  /**
   * Takes `event` on every flow whose columns equal `match` (all of an account's open requests); a
   * list matches any of its values (the accounts a campaign suspends).
   */
  async takeWhere(
    db: QueryExecutorProvider,
    match: Readonly<Record<string, unknown>>,
    event: E,
    change: Change<DB[T]> = {},
  ): Promise<Selectable<DB[T]>[]> {
    const moves = [...this.flow.moves(event)];
    if (moves.length === 0) return [];
    const state = sql.ref(this.#state);
    const targets = new Set(moves.map(([, to]) => to));
    const next =
      targets.size === 1
        ? sql`${moves[0]?.[1]}`
        : sql`case ${state} ${sql.join(
            moves.map(([from, to]) => sql`when ${from} then ${to}`),
            sql` `,
          )} end`;
    const sets = [sql`${state} = ${next}`];
    for (const [column, value] of Object.entries(change)) {
      if (value !== undefined && column !== this.#state) sets.push(sql`${sql.ref(column)} = ${value}`);
    }
    const where = Object.entries(match).map(([column, value]) =>
      Array.isArray(value) ? sql`${sql.ref(column)} = any(${value})` : sql`${sql.ref(column)} = ${value}`,
    );
    where.push(sql`${state} in (${sql.join(moves.map(([from]) => from))})`);
    if (this.#expires) where.push(sql`${sql.ref(this.#expires)} > ${new Date()}`);
    const result = await sql<Selectable<DB[T]>>`update ${sql.table(this.table)} set ${sql.join(sets)}
      where ${sql.join(where, sql` and `)} returning *`.execute(db);
    return result.rows;
  }

  /** Deletes the flows that expired (run periodically); 0 for a table without expiry. */
  async sweep(db: QueryExecutorProvider): Promise<number> {
    if (!this.#expires) return 0;
    const result = await sql`delete from ${sql.table(this.table)}
      where ${sql.ref(this.#expires)} < ${new Date()}`.execute(db);
    return Number(result.numAffectedRows ?? 0);
  }
}

/**
 * The store of `flow` in `table` of `DB` (curried so that the table and its columns are checked
 * against `DB` while the flow's types are inferred).
 */
export function flowTable<DB>() {
  return <T extends keyof DB & string, S extends string, E extends string>(
    table: T,
    flow: Flow<S, E>,
    spec: FlowTableSpec<keyof DB[T] & string>,
  ): FlowTable<DB, T, S, E> => new FlowTable(table, flow, spec);
}
