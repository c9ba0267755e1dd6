import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingService, postgresAvailable, TEST_DATABASE_URL } from '../testing/services.ts';
import { type Database, openDatabase } from './connect.ts';

const available = await postgresAvailable();
if (!available) missingService('PostgreSQL', `the connection pool needs it (tried ${TEST_DATABASE_URL})`);

/** The pool's default idle timeout (pg-pool closes a connection idle this long unless it is kept). */
const POOL_IDLE_TIMEOUT_MS = 10_000;

describe.skipIf(!available)('the PostgreSQL connection pool', () => {
  let database: Database<Record<string, never>>;
  let db: Kysely<Record<string, never>>;

  beforeAll(async () => {
    database = await openDatabase({ url: TEST_DATABASE_URL, schema: 'public', poolSize: 3 });
    db = database.db;
  });
  afterAll(() => database.close());

  /** Three statements at once, each holding a connection a moment: the server processes that ran them. */
  const burst = async () =>
    new Set(
      await Promise.all(
        [0, 1, 2].map(async () => {
          const held = sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.1)`;
          const { rows } = await held.execute(db);
          return rows[0]?.pid;
        }),
      ),
    );

  it(
    'keeps the connections a burst opened through a quiet spell, so the next burst waits for none',
    async () => {
      const first = await burst();
      expect(first.size).toBe(3);
      await new Promise((resolve) => setTimeout(resolve, POOL_IDLE_TIMEOUT_MS + 1000));
      // The same server processes answer: no connection was closed and opened again.
      expect(await burst()).toEqual(first);
    },
    POOL_IDLE_TIMEOUT_MS + 10_000,
  );
});
