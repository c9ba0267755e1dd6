import { type Kysely, sql } from 'kysely';

/** Rows per statement of `bulkInsert`. */
const CHUNK = 5_000;

const asText = (value: unknown): string | null => {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : String(value);
};

/**
 * Inserts many rows into `table`, `CHUNK` rows per statement. Each column travels as one text
 * array (`unnest`), cast to its SQL type in `columns`: the statement has as many parameters as the
 * table has columns, whatever the number of rows, so PostgreSQL parses and plans it once (a
 * multi-row `VALUES` of thousands of rows has tens of thousands of parameters, each parsed and
 * bound). For bulk work (imports); a value is a string, number, boolean, Date or null.
 */
export async function bulkInsert<T>(
  db: Kysely<T>,
  table: string,
  columns: Readonly<Record<string, string>>,
  rows: ReadonlyArray<Readonly<Record<string, unknown>>>,
): Promise<void> {
  const names = Object.keys(columns);
  const statement = (arrays: Array<Array<string | null>>) => sql`insert into ${sql.table(table)}
    (${sql.join(names.map((name) => sql.ref(name)))})
    select ${sql.join(names.map((name) => sql`t.${sql.ref(name)}::${sql.raw(columns[name] as string)}`))}
    from unnest(${sql.join(arrays.map((values) => sql`${values}::text[]`))})
    as t(${sql.join(names.map((name) => sql.ref(name)))})`;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    await statement(names.map((name) => chunk.map((row) => asText(row[name])))).execute(db);
  }
}
