import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../platform/testing/fault-proxy.ts';
import { RoleProcess } from '../platform/testing/role-process.ts';
import {
  missingService,
  postgresAvailable,
  redisAvailable,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
} from '../platform/testing/services.ts';

// `edugate start --role county` launched while PostgreSQL and Redis cannot be reached (both behind
// a proxy that refuses connections, as a server that is down does): the process must not exit; it
// says why it waits, answers health checks meanwhile, and serves once its dependencies are back.

const services = (await postgresAvailable()) && (await redisAvailable(TEST_REDIS_URL));
if (!services) missingService('PostgreSQL and Redis', `tried ${TEST_DATABASE_URL} and ${TEST_REDIS_URL}`);

describe.runIf(services)('a county process started while its database and Redis are down', () => {
  const name = `edugate_boot_${randomBytes(5).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'edugate-boot-'));
  let database: FaultProxy;
  let redis: FaultProxy;
  let node: RoleProcess;
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    database = await FaultProxy.start(TEST_DATABASE_URL);
    redis = await FaultProxy.start(TEST_REDIS_URL);
    await database.refuse();
    await redis.refuse();
    const databaseUrl = new URL(database.url(TEST_DATABASE_URL));
    databaseUrl.pathname = `/${name}`;
    node = await RoleProcess.start('county', {
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL: redis.url(TEST_REDIS_URL),
      EDUGATE_DATA_DIR: dataDir,
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      REDIS_CONNECT_TIMEOUT_MS: '1000',
      EDUGATE_READINESS_TIMEOUT_MS: '500',
      LOG_FORMAT: 'json',
    });
  });
  afterAll(async () => {
    await node?.stop('SIGKILL');
    await database?.close();
    await redis?.close();
    await admin?.query(`drop database if exists ${name} with (force)`);
    await admin?.end();
    rmSync(dataDir, { recursive: true, force: true });
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
