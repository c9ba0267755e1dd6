import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../database/connect.ts';
import { migrate } from '../database/migrations.ts';
import { platformMigrations } from '../database/platform-migrations.ts';
import type { PlatformTables } from '../database/platform-schema.ts';
import { FaultProxy } from '../testing/fault-proxy.ts';
import { missingService, postgresAvailable, TEST_DATABASE_URL } from '../testing/services.ts';
import { enqueueJob } from './queue.ts';
import { JobRunner } from './runner.ts';

const postgres = await postgresAvailable();
if (!postgres)
  missingService('PostgreSQL', `start it or set EDUGATE_TEST_DATABASE_URL (tried ${TEST_DATABASE_URL})`);

describe.runIf(postgres)('the job runner through a database outage', () => {
  let proxy: FaultProxy;
  let database: Database<PlatformTables>;
  const schema = `test_jobs_${randomBytes(5).toString('hex')}`;
  beforeAll(async () => {
    proxy = await FaultProxy.start(TEST_DATABASE_URL);
    database = await openDatabase<PlatformTables>({
      url: proxy.url(TEST_DATABASE_URL),
      schema,
      poolSize: 2,
      timeouts: { connectMs: 300, statementMs: 1000 },
    });
    await migrate(database.db, schema, platformMigrations);
  });
  afterAll(async () => {
    await proxy?.heal();
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
    await database?.close();
    await proxy?.close();
  });

  it('backs off while the database is down, says so once, and runs the queued jobs once it is back', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const log = pino(
      { level: 'debug' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    const runner = new JobRunner(database.db, log, { pollMs: 50 });
    const ran: string[] = [];
    runner.register('test.outage', async (payload) => {
      ran.push(String(payload.name));
    });
    await enqueueJob(database.db, 'test.outage', { name: 'before' });
    await proxy.refuse();
    runner.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const failed = lines.filter((line) => line.msg.startsWith('job poll failed'));
      // At a 50 ms pace that would be some 60 polls; backing off, a handful.
      expect(failed.length).toBeGreaterThan(1);
      expect(failed.length).toBeLessThan(12);
      // One warning for the outage, not one per poll.
      expect(lines.filter((line) => line.level >= 40).length).toBe(1);
      expect(ran).toEqual([]);

      await proxy.heal();
      const started = performance.now();
      while (ran.length === 0 && performance.now() - started < 10_000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(ran).toEqual(['before']);
      // Back at its normal pace: a new job runs at once.
      await enqueueJob(database.db, 'test.outage', { name: 'after' });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(ran).toEqual(['before', 'after']);
      expect(lines.some((line) => line.msg === 'job polls work again')).toBe(true);
    } finally {
      await runner.stop();
    }
  });
});
