import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../platform/testing/fault-proxy.ts';
import { type ProcessStage, postgresAndRedis, processStage } from '../platform/testing/process-stage.ts';
import { RoleProcess } from '../platform/testing/role-process.ts';
import { TEST_DATABASE_URL } from '../platform/testing/services.ts';

// `edugate start --role county` launched while PostgreSQL and Redis cannot be reached (both behind
// a proxy that refuses connections, as a server that is down does): the process must not exit; it
// says why it waits, answers health checks meanwhile, and serves once its dependencies are back.

const services = await postgresAndRedis();

describe.runIf(services)('a county process started while its database and Redis are down', () => {
  let stage: ProcessStage;
  let database: FaultProxy;
  let redis: FaultProxy;
  let node: RoleProcess;

  beforeAll(async () => {
    stage = await processStage('edugate_boot');
    ({ database, redis } = stage);
    await database.refuse();
    await redis.refuse();
    node = await RoleProcess.start('county', {
      ...stage.env,
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      REDIS_CONNECT_TIMEOUT_MS: '1000',
      EDUGATE_READINESS_TIMEOUT_MS: '500',
      LOG_FORMAT: 'json',
    });
  });
  afterAll(async () => {
    await node?.stop('SIGKILL');
    await stage?.close();
  });

  it('stays up, live but not ready, answers "busy" with Retry-After and says why it waits', async () => {
    await node.until(200, '/healthz', 20_000);
    expect(await node.status('/readyz')).toBe(503);
    expect(await node.status('/readyz', node.adminBase)).toBe(503);
    expect(await node.status('/healthz', node.adminBase)).toBe(200);
    const busy = await fetch(`${node.base}/login`, { headers: { 'accept-language': 'en' } });
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('5');
    expect(await busy.text()).toContain('The system is busy');
    // Several attempts, each logged with its reason and the pause before the next.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(node.exited, node.output).toBe(false);
    const retries = node.output.split('\n').filter((line) => line.includes('the database is unreachable'));
    expect(retries.length, node.output).toBeGreaterThanOrEqual(2);
    expect(retries[0]).toMatch(/ECONNREFUSED.*retrying in \d/);
  });

  it('comes up once the database is back, and turns ready when Redis is back too', async () => {
    await database.heal();
    await node.until(200, '/', 20_000);
    // Redis is still down: serving what it can, kept out of rotation.
    expect(await node.status('/readyz')).toBe(503);
    await redis.heal();
    await node.until(200, '/readyz', 10_000);
    await node.until(200, '/readyz', 1000, node.adminBase);
    expect(node.output).toContain('dependencies reachable again');
  });

  it('stops cleanly when asked', async () => {
    expect(await node.stop('SIGTERM')).toBe(0);
  });
});

describe.runIf(services)('a county process asked to stop while it waits for its database', () => {
  it('exits 0 at once', async () => {
    const database = await FaultProxy.start(TEST_DATABASE_URL);
    await database.refuse();
    const dataDir = mkdtempSync(join(tmpdir(), 'edugate-boot-'));
    const node = await RoleProcess.start('county', {
      DATABASE_URL: database.url(TEST_DATABASE_URL),
      EDUGATE_DATA_DIR: dataDir,
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
    });
    try {
      await node.until(503, '/readyz', 20_000);
      const started = performance.now();
      expect(await node.stop('SIGTERM'), node.output).toBe(0);
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      await node.stop('SIGKILL');
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
