import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../database/connect.ts';
import type { PlatformTables } from '../database/platform-schema.ts';
import { createLogger } from '../observability/logger.ts';
import { testDatabases } from '../testing/databases.ts';
import { TEST_DATABASE_URL } from '../testing/services.ts';
import { enqueueJob, jobsChannel } from './queue.ts';
import { JobRunner } from './runner.ts';

const log = createLogger('silent');

/** Resolves when `count` jobs of the handler are done, with the time it took. */
function counter(count: number) {
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    handler: async () => {
      // A call to Google takes tens of milliseconds.
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (++done === count) finish();
    },
    all,
    get done() {
      return done;
    },
  };
}

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
  ]);

describe.each(await testDatabases())('job runner throughput and wake-up ($name)', (kind) => {
  let database: Database<PlatformTables>;
  const runners: JobRunner[] = [];
  const runner = (pollMs: number) => {
    const made = new JobRunner(database.db, log, {
      pollMs,
      wakeUps: { notifications: database.notifications, channel: jobsChannel(database.schema) },
    });
    runners.push(made);
    return made;
  };

  beforeAll(async () => {
    database = await kind.open<PlatformTables>();
  });
  afterAll(async () => {
    for (const r of runners) await r.stop();
    await database?.close();
  });

  it('works off a backlog without pausing between claims', async () => {
    const jobs = 80;
    const work = counter(jobs);
    const r = runner(500).register('bench.call', work.handler);
    for (let i = 0; i < jobs; i++) await enqueueJob(database.db, 'bench.call', { i });
    const started = performance.now();
    await r.start();
    expect(await within(work.all, 20_000)).toBe(true);
    const seconds = (performance.now() - started) / 1000;
    // Claiming a few jobs and then sleeping 500 ms managed about 5.5 jobs/s: 80 jobs took 14 s.
    expect(seconds).toBeLessThan(jobs / 5.5 / 4);
    await r.stop();
  });

  it('picks up a job enqueued on another connection at once, without waiting for its poll', async () => {
    const work = counter(3);
    // Polling once a minute: only the wake-up can make it prompt.
    const r = runner(60_000).register('wake.call', work.handler);
    await r.start();
    await new Promise((resolve) => setTimeout(resolve, 300)); // idle: the first look found nothing
    const other =
      kind.name === 'postgres'
        ? await openDatabase<PlatformTables>({ url: TEST_DATABASE_URL, schema: database.schema, poolSize: 1 })
        : undefined;
    const writer = other?.db ?? database.db;
    try {
      await enqueueJob(writer, 'wake.call', {});
      await writer.transaction().execute(async (tx) => {
        await enqueueJob(tx, 'wake.call', {});
        await enqueueJob(tx, 'wake.call', {});
      });
      expect(await within(work.all, 2_000)).toBe(true);
    } finally {
      await other?.db.destroy();
      await r.stop();
    }
  });

  it.runIf(kind.name === 'postgres')('listens again after its connection was cut', async () => {
    const work = counter(1);
    const r = runner(60_000).register('after-cut.call', work.handler);
    await r.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cut = await sql<{ n: number }>`select count(pg_terminate_backend(pid))::int as n
      from pg_stat_activity where application_name = 'edugate-listen' and pid <> pg_backend_pid()
      and query like ${`listen "${jobsChannel(database.schema)}"%`}`.execute(database.db);
    expect(cut.rows[0]?.n).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // the first reconnection comes after 0.5 s
    await enqueueJob(database.db, 'after-cut.call', {});
    expect(await within(work.all, 2_000)).toBe(true);
    await r.stop();
  });
});
