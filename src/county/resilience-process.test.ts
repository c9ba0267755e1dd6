import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultProxy } from '../platform/testing/fault-proxy.ts';
import { type ProcessStage, postgresAndRedis, processStage } from '../platform/testing/process-stage.ts';
import { RoleProcess } from '../platform/testing/role-process.ts';

// `edugate start --role county` as operators run it (its own process, PostgreSQL and Redis), on a
// fresh database, both reached through a proxy that breaks their connections. The process must
// outlive every fault and serve again once it ends, without a restart.

const services = await postgresAndRedis();

describe.runIf(services)('a county process through database and Redis faults', () => {
  let stage: ProcessStage;
  let database: FaultProxy;
  let redis: FaultProxy;
  let node: RoleProcess;

  beforeAll(async () => {
    stage = await processStage('edugate_faults');
    ({ database, redis } = stage);
    node = await RoleProcess.start('county', {
      ...stage.env,
      LOG_LEVEL: 'warn',
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      DATABASE_STATEMENT_TIMEOUT_MS: '1500',
      REDIS_CONNECT_TIMEOUT_MS: '1000',
      REDIS_COMMAND_TIMEOUT_MS: '500',
      EDUGATE_READINESS_TIMEOUT_MS: '500',
    });
    await until(200, '/readyz', 90_000);
  });
  afterAll(async () => {
    await node?.stop('SIGTERM');
    await stage?.close();
  });

  const status = (path: string) => node.status(path);
  /** Milliseconds until `path` answers `expected`; never a 500, and the process stays up. */
  const until = async (expected: number, path: string, within = 10_000) => {
    const started = performance.now();
    for (;;) {
      if (node.exited) throw new Error(`the process exited (${node.child.exitCode}):\n${node.output}`);
      const got = await status(path);
      expect(got, node.output).not.toBe(500);
      if (got === expected) return performance.now() - started;
      if (performance.now() - started > within) throw new Error(`${path} still ${got}:\n${node.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const alive = () => expect(node.exited, node.output).toBe(false);

  it('outlives its database backends being terminated and serves again at once', async () => {
    expect(await status('/')).toBe(200);
    const { rowCount } = await stage.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [stage.name],
    );
    expect(rowCount).toBeGreaterThan(0);
    expect(await until(200, '/', 5000)).toBeLessThan(5000);
    alive();
  });

  it('outlives reset PostgreSQL and Redis connections', async () => {
    database.reset();
    redis.reset();
    await until(200, '/readyz', 5000);
    expect(await status('/')).toBe(200);
    alive();
  });

  it('turns unready while the database stalls or Redis is down, and ready again when they are back', async () => {
    database.stall();
    const started = performance.now();
    expect(await status('/')).toBe(503);
    expect(performance.now() - started).toBeLessThan(4000);
    expect(await status('/readyz')).toBe(503);
    expect(await status('/healthz')).toBe(200);
    await database.heal();
    await until(200, '/readyz', 5000);

    await redis.refuse();
    await until(503, '/readyz', 2000);
    await redis.heal();
    await until(200, '/readyz', 5000);
    alive();
  });

  it('stops cleanly when asked', async () => {
    alive();
    expect(await node.stop('SIGTERM'), node.output).toBe(0);
  });
});
