import type { Compilable, CompiledQuery, Kysely } from 'kysely';

/** Where a value goes in a compiled statement: replaced by the value of that name at each run. */
class Slot {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
}

/**
 * A query built with Kysely once per database and then run with new values: for the few
 * statements every request makes (session, throttle and account reads, the sign-in write),
 * building and compiling the query tree each time costs more of the event loop than sending it.
 *
 * `build` receives stand-ins for the values, typed as the values themselves: pass them to Kysely
 * as values (in `where`, `set`, `values`, or inside `sql` templates) and do nothing else with them
 * (no `.slice()`, no `JSON.stringify`, no `??`): the query's shape must not depend on the values.
 * Compiled SQL is kept per Kysely instance (its plugins and schema are part of the SQL); inside a
 * transaction the statement is compiled afresh, as any query would be.
 */
export function statement<DB, P extends object, R>(
  build: (db: Kysely<DB>, values: P) => Compilable<R>,
): (db: Kysely<DB>, values: P) => Promise<R[]> {
  const compiled = new WeakMap<Kysely<DB>, CompiledQuery<R>>();
  const slots = new Proxy({} as P, { get: (_, name) => new Slot(String(name)) });
  return async (db, values) => {
    let query = compiled.get(db);
    if (query === undefined) {
      query = build(db, slots).compile();
      if (!db.isTransaction) compiled.set(db, query);
    }
    const parameters = query.parameters.map((p) =>
      p instanceof Slot ? (values as Record<string, unknown>)[p.name] : p,
    );
    return (await db.executeQuery<R>({ ...query, parameters })).rows;
  };
}
