import type { Kysely } from 'kysely';
import { type Migration, Migrator } from 'kysely/migration';

export type MigrationSet = Record<string, Migration>;

/**
 * Runs a role's forward-only migrations. Names sort by a numeric prefix per context
 * (0xxx platform, 1xxx county, 2xxx cloud, 3xxx workspace, 4xxx Google stand-in), so each role's
 * set is the platform set plus its own.
 */
export async function migrate<T>(db: Kysely<T>, schema: string, ...sets: MigrationSet[]): Promise<string[]> {
  const migrations: MigrationSet = Object.assign({}, ...sets);
  const migrator = new Migrator({
    db: db as Kysely<unknown>,
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
