import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { type Database, openDatabase } from '../database/connect.ts';
import { type MigrationSet, migrate } from '../database/migrations.ts';
import { platformMigrations } from '../database/platform-migrations.ts';
import { missingService, postgresAvailable, TEST_DATABASE_URL } from './services.ts';

export interface TestDatabaseKind {
  name: 'pglite' | 'postgres';
  /** A fresh, migrated database: in-memory PGlite, or a new schema on the PostgreSQL server. */
  open<T>(...sets: MigrationSet[]): Promise<Database<T>>;
}

const pglite: TestDatabaseKind = {
  name: 'pglite',
  async open<T>(...sets: MigrationSet[]) {
    const database = await openDatabase<T>({ dataDir: 'memory://', schema: 'public' });
    await migrate(database.db, 'public', platformMigrations, ...sets);
    return database;
  },
};

const postgres: TestDatabaseKind = {
  name: 'postgres',
  async open<T>(...sets: MigrationSet[]) {
    const schema = `test_${randomBytes(6).toString('hex')}`;
    const database = await openDatabase<T>({ url: TEST_DATABASE_URL, schema, poolSize: 4 });
    await migrate(database.db, schema, platformMigrations, ...sets);
    return {
      ...database,
      async close() {
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
        await database.close();
      },
    };
  },
};

/**
 * The databases a repository contract suite runs against: PGlite always, PostgreSQL when the
 * server answers (mandatory in CI). Use with `describe.each(await testDatabases())`.
 */
export async function testDatabases(): Promise<TestDatabaseKind[]> {
  const kinds = [pglite];
  if (await postgresAvailable()) kinds.push(postgres);
  else missingService('PostgreSQL', `start it or set EDUGATE_TEST_DATABASE_URL (tried ${TEST_DATABASE_URL})`);
  return kinds;
}

export { pglite as embeddedTestDatabase, postgres as postgresTestDatabase };
