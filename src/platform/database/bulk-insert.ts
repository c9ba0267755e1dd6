import { type Kysely, type RawBuilder, sql } from 'kysely';

/** Rows per statement of `bulkInsert`. */
const CHUNK = 5_000;

const asText = (value: unknown): string | null => {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : String(value);
};

/** The value every row of `values` shares, or undefined when they differ. */
function sharedValue(values: ReadonlyArray<string | null>): { value: string | null } | undefined {
  const first = values[0] ?? null;
  for (let i = 1; i < values.length; i++) if (values[i] !== first) return undefined;
  return { value: first };
}

/**
 * Inserts many rows into `table`, `CHUNK` rows per statement. Each column travels as one text
 * array (`unnest`), cast to its SQL type in `columns`: the statement has as many parameters as the
 * table has columns, whatever the number of rows, so PostgreSQL parses and plans it once (a
 * multi-row `VALUES` of thousands of rows has tens of thousands of parameters, each parsed and
 * bound). A column with the same value in every row of the statement (the tenant, a timestamp, the
 * columns a new row leaves empty) travels once, as a single value, instead of as an array of
 * thousands of copies. For bulk work (imports); a value is a string, number, boolean, Date or null.
 */
export async function bulkInsert<T>(
  db: Kysely<T>,
  table: string,
  columns: Readonly<Record<string, string>>,
  rows: ReadonlyArray<Readonly<Record<string, unknown>>>,
): Promise<void> {
  const names = Object.keys(columns);
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const values: RawBuilder<unknown>[] = [];
    const arrays: RawBuilder<unknown>[] = [];
    const arrayNames: string[] = [];
    for (const name of names) {
      const type = sql.raw(columns[name] as string);
      const column = chunk.map((row) => asText(row[name]));
      const shared = sharedValue(column);
      if (shared) {
        values.push(sql`${shared.value}::${type}`);
      } else {
        values.push(sql`t.${sql.ref(name)}::${type}`);
        arrays.push(sql`${column}::text[]`);
        arrayNames.push(name);
      }
    }
    const source =
      arrays.length > 0
        ? sql` from unnest(${sql.join(arrays)}) as t(${sql.join(arrayNames.map((name) => sql.ref(name)))})`
        : sql` from generate_series(1, ${chunk.length})`;
    await sql`insert into ${sql.table(table)} (${sql.join(names.map((name) => sql.ref(name)))})
      select ${sql.join(values)}${source}`.execute(db);
  }
}
