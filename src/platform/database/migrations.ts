import { type Kysely, sql } from 'kysely';
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
    db: db as Kysely<unknown>,
    provider: { getMigrations: async () => migrations },
    allowUnorderedMigrations: true,
    migrationTableSchema: schema,
  });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely's migrator looks for its tables through an introspection of every schema of the
  // database, which resolves each table by name: a schema dropped meanwhile by someone else (a
  // test's cleanup, an operator) fails it with 3F000 naming that other schema. Nothing was
  // migrated then; ask again.
  for (let attempt = 1; attempt < 5 && error && droppedElsewhere(error, schema); attempt++) {
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** An introspection that met a schema other than `schema` being dropped (SQLSTATE 3F000). */
function droppedElsewhere(error: unknown, schema: string): boolean {
  if (!(error instanceof Error) || (error as Error & { code?: string }).code !== '3F000') return false;
  return !error.message.includes(`"${schema}"`);
}
