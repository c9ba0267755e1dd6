// Where a login's time goes, beside the login bench's CPU split per process: the role process's
// threads (its event loop, the argon2id threads, the rest: V8's helpers, libuv) with the part of
// each spent in the kernel, the Redis commands and the PostgreSQL transactions and row writes each
// login makes.
import type { Redis } from 'ioredis';
import { HASH_THREAD_NAME } from '../src/identity/passwords/hash-threads.ts';
import { measureThreads } from '../src/platform/testing/process-cpu.ts';
import type { ProcessStage } from '../src/platform/testing/process-stage.ts';
import type { LoadProcess } from './http-load.ts';

export interface LoginCosts {
  /** The load process, counting around each of its runs but the first (the warm-up). */
  load: LoadProcess;
  /** The detail lines: per login, the role process's threads, Redis commands, PostgreSQL work. */
  describe(): Promise<string[]>;
  /** CPU milliseconds per login of the role process's argon2id threads. */
  argon2Ms(): number;
}

// Revisions before the hashing threads had a name (`npm run bench -- compare`) show them as
// `WorkerThread`, Node's name for a worker without one: the county role starts no other.
const threadGroup = ({ name, main }: { name: string; main: boolean }) =>
  main
    ? 'event loop'
    : name === HASH_THREAD_NAME || name === 'WorkerThread'
      ? 'argon2id threads'
      : 'other threads';

/** `cmdstat_<name>:calls=…,usec=…` of `INFO commandstats`: calls and microseconds per command. */
async function commandStats(redis: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const [, name = '', calls, usec] of (await redis.info('commandstats')).matchAll(
    /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm,
  ))
    stats.set(name, { calls: Number(calls), usec: Number(usec) });
  return stats;
}

/** The bench database's transactions and the rows written to each county table. */
async function databaseStats(stage: ProcessStage): Promise<Map<string, number>> {
  const stats = new Map<string, number>();
  const [database] = (
    await stage.query('select xact_commit from pg_stat_database where datname = current_database()')
  ).rows as Array<{ xact_commit: string }>;
  stats.set('transactions', Number(database?.xact_commit ?? 0));
  const tables = (
    await stage.query(
      `select relname, n_tup_ins + n_tup_upd + n_tup_del as written from pg_stat_user_tables
       where schemaname = 'edugate_county'`,
    )
  ).rows as Array<{ relname: string; written: string }>;
  for (const table of tables) stats.set(table.relname, Number(table.written));
  return stats;
}

/**
 * Wraps the login load: around every measured run it reads the role process's CPU time per
 * thread group and Redis's `INFO commandstats` (the whole server's: the bench's own Redis, or
 * other users of a shared one count too). PostgreSQL's counters of the bench database reach the
 * statistics up to a second after each transaction: they are read before each measured run, each
 * difference going to the run before (nothing else writes to that database between the role's
 * runs but its job runner's polls), and a last time a little after the last run (`describe`).
 */
export function loginCosts(
  load: LoadProcess,
  rolePid: number,
  stage: ProcessStage,
  redis: Redis,
): LoginCosts {
  const threads: Record<string, number> = {};
  const inKernel: Record<string, number> = {};
  const commands = new Map<string, { calls: number; usec: number }>();
  const database = new Map<string, number>();
  let logins = 0;
  let runs = 0;
  let databaseMark: Map<string, number> | undefined;
  const databaseSince = async () => {
    const now = await databaseStats(stage);
    if (databaseMark)
      for (const [name, value] of now)
        add(database, name, value - (databaseMark.get(name) ?? 0), (a, b) => a + b);
    databaseMark = now;
  };
  const add = <T>(into: Map<string, T>, key: string, value: T, plus: (a: T, b: T) => T) =>
    into.set(key, into.has(key) ? plus(into.get(key) as T, value) : value);
  return {
    load: {
      pid: load.pid,
      stop: () => load.stop(),
      async run(ms, rate) {
        if (runs++ === 0) return load.run(ms, rate);
        const [redisBefore] = await Promise.all([commandStats(redis), databaseSince()]);
        const used = measureThreads(rolePid, threadGroup);
        const usedInKernel = measureThreads(rolePid, threadGroup, 'system');
        const result = await load.run(ms, rate);
        for (const [group, seconds] of Object.entries(used()))
          threads[group] = (threads[group] ?? 0) + seconds;
        for (const [group, seconds] of Object.entries(usedInKernel()))
          inKernel[group] = (inKernel[group] ?? 0) + seconds;
        const redisAfter = await commandStats(redis);
        for (const [name, after] of redisAfter) {
          const before = redisBefore.get(name) ?? { calls: 0, usec: 0 };
          if (after.calls > before.calls)
            add(
              commands,
              name,
              { calls: after.calls - before.calls, usec: after.usec - before.usec },
              (a, b) => ({
                calls: a.calls + b.calls,
                usec: a.usec + b.usec,
              }),
            );
        }
        logins += result.done;
        return result;
      },
    },
    argon2Ms: () => ((threads['argon2id threads'] ?? 0) * 1000) / Math.max(1, logins),
    async describe() {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await databaseSince();
      const per = (n: number) => (n / Math.max(1, logins)).toFixed(2);
      const cpu = Object.entries(threads)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(
          ([group, seconds]) =>
            `${group} ${per(seconds * 1000)} (kernel ${per((inKernel[group] ?? 0) * 1000)})`,
        )
        .join(', ');
      const redisCalls = [...commands].sort(([, a], [, b]) => b.calls - a.calls);
      const calls = redisCalls.reduce((sum, [, c]) => sum + c.calls, 0);
      const usec = redisCalls.reduce((sum, [, c]) => sum + c.usec, 0);
      const written = [...database]
        .filter(([name, rows]) => name !== 'transactions' && rows > 0)
        .sort(([, a], [, b]) => b - a)
        .map(([name, rows]) => `${name} ${per(rows)}`)
        .join(', ');
      return [
        `per login, EduGate's threads (CPU ms): ${cpu}`,
        `per login, Redis: ${per(calls)} commands (${redisCalls
          .map(([name, c]) => `${name} ${per(c.calls)}`)
          .join(', ')}), ${per(usec / 1000)} ms inside them`,
        `per login, PostgreSQL: ${per(database.get('transactions') ?? 0)} transactions; rows written: ${written || 'none'}`,
      ];
    },
  };
}
