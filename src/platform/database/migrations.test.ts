import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { missingService, postgresAvailable, TEST_DATABASE_URL } from '../testing/services.ts';
import { openDatabase } from './connect.ts';
import { migrate } from './migrations.ts';
import { platformMigrations } from './platform-migrations.ts';
import type { PlatformTables } from './platform-schema.ts';

const postgres = await postgresAvailable();
if (!postgres)
  missingService('PostgreSQL', `start it or set EDUGATE_TEST_DATABASE_URL (tried ${TEST_DATABASE_URL})`);

describe.runIf(postgres)('nodes booting at once on an empty PostgreSQL database', () => {
  it('all come up, and each migration runs once', async () => {
    const NODES = 8;
    for (let round = 0; round < 3; round++) {
      const schema = `test_boot_${randomBytes(5).toString('hex')}`;
      const nodes = await Promise.all(
        Array.from({ length: NODES }, () =>
          openDatabase<PlatformTables>({ url: TEST_DATABASE_URL, schema, poolSize: 2 }),
        ),
      );
      try {
        const outcomes = await Promise.allSettled(
          nodes.map((node) => migrate(node.db, schema, platformMigrations)),
        );
        const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
        expect(failures).toEqual([]);
        // Every migration was applied by exactly one node.
        const applied = outcomes.flatMap((o) => (o.status === 'fulfilled' ? o.value : []));
        expect(applied.sort()).toEqual(Object.keys(platformMigrations).sort());
        const first = nodes[0];
        if (!first) throw new Error('no node');
        const { rows } = await sql<{
          n: number;
        }>`select count(*)::int as n from ${sql.id(schema)}.kysely_migration`.execute(first.db);
        expect(rows[0]?.n).toBe(Object.keys(platformMigrations).length);
      } finally {
        const first = nodes[0];
        if (first) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(first.db);
        await Promise.all(nodes.map((node) => node.close()));
      }
    }
  });
});

describe.runIf(postgres)(
  'a migration while someone else drops tables and schemas of the same database',
  () => {
    // Left to itself, Kysely's migrator looks for its own tables through an introspection of every
    // schema, which resolves each table it lists by name: a table or schema whose drop commits
    // meanwhile failed that lookup (42P01, 3F000), in three of four runs of this test.
    it('comes up every time, each migration run once', async () => {
      const schema = `test_mig_${randomBytes(5).toString('hex')}`;
      const other = `test_gone_${randomBytes(5).toString('hex')}`;
      const node = await openDatabase<PlatformTables>({ url: TEST_DATABASE_URL, schema, poolSize: 2 });
      const dropper = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await dropper.connect();
      const columns = Array.from({ length: 40 }, (_, c) => `c${c} int`).join(', ');
      let dropping = true;
      const churn = (async () => {
        for (let i = 0; dropping; i++) {
          await dropper.query(`create schema ${other}; create table ${other}.gone (${columns})`);
          if (i % 2 === 0) await dropper.query(`drop table ${other}.gone; drop schema ${other}`);
          else await dropper.query(`drop schema ${other} cascade`);
        }
      })();
      try {
        const failures: string[] = [];
        const applied: string[] = [];
        for (let round = 0; round < 100; round++) {
          try {
            applied.push(...(await migrate(node.db, schema, platformMigrations)));
          } catch (error) {
            failures.push(String(error));
          }
        }
        expect(failures).toEqual([]);
        expect(applied.sort()).toEqual(Object.keys(platformMigrations).sort());
      } finally {
        dropping = false;
        await churn.catch(() => undefined);
        await dropper.query(`drop schema if exists ${other} cascade`);
        await dropper.end();
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(node.db);
        await node.close();
      }
    });
  },
);
