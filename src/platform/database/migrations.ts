import { type DatabaseIntrospector, type Kysely, sql } from 'kysely';
import { type Migration, Migrator } from 'kysely/migration';

export type MigrationSet = Record<string, Migration>;

/**
 * The advisory lock Kysely's migrator takes on PostgreSQL. Creating the schema under it too means
 * that nodes booting at once on an empty database do not race on `create schema` (two concurrent
 * `create schema if not exists` can both miss the schema, and one then fails on the catalogue's
 * unique index).
 */
const MIGRATION_LOCK_ID = sql.lit(BigInt('3853314791062309107'));

/**
 * Runs a role's forward-only migrations, creating its schema first when it does not exist (on
 * PostgreSQL under the migration lock). Names sort by a numeric prefix per context
 * (0xxx platform, 1xxx county, 2xxx cloud, 3xxx workspace, 4xxx Google stand-in), so each role's
 * set is the platform set plus its own.
 */
export async function migrate<T>(db: Kysely<T>, schema: string, ...sets: MigrationSet[]): Promise<string[]> {
  await db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`.execute(tx);
    await sql`create schema if not exists ${sql.id(schema)}`.execute(tx);
  });
  const migrations: MigrationSet = Object.assign({}, ...sets);
  const migrator = new Migrator({
    db: ownSchemaOnly(db as Kysely<unknown>, schema),
    provider: { getMigrations: async () => migrations },
    allowUnorderedMigrations: true,
    migrationTableSchema: schema,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * `db` as the migrator sees it: the same connections, but its introspection (which it asks whether
 * its own schema and tables exist) reads `schema` alone. Kysely's own reads every schema of the
 * database and resolves each table it lists by name, so a table or schema that someone else drops
 * meanwhile (another role's tests, an operator) failed the migration with 42P01 or 3F000.
 */
function ownSchemaOnly(db: Kysely<unknown>, schema: string): Kysely<unknown> {
  const introspection: DatabaseIntrospector = {
    async getSchemas() {
      const { rows } = await sql<{ name: string }>`
        select nspname as name from pg_catalog.pg_namespace where nspname = ${schema}`.execute(db);
      return rows;
    },
    async getTables() {
      const { rows } = await sql<{ name: string }>`
        select c.relname as name from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'p')`.execute(db);
      return rows.map(({ name }) => ({ name, schema, isView: false, isForeign: false, columns: [] }));
    },
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspection;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
