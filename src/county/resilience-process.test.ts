import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../platform/testing/fault-proxy.ts';
import { freePort } from '../platform/testing/ports.ts';
import {
  missingService,
  postgresAvailable,
  redisAvailable,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
} from '../platform/testing/services.ts';

// `edugate start --role county` as operators run it (its own process, PostgreSQL and Redis), on a
// fresh database, both reached through a proxy that breaks their connections. The process must
// outlive every fault and serve again once it ends, without a restart.

const services = (await postgresAvailable()) && (await redisAvailable(TEST_REDIS_URL));
if (!services) missingService('PostgreSQL and Redis', `tried ${TEST_DATABASE_URL} and ${TEST_REDIS_URL}`);

const ROOT = new URL('../../', import.meta.url).pathname;

describe.runIf(services)('a county process through database and Redis faults', () => {
  const name = `edugate_faults_${randomBytes(5).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'edugate-faults-'));
  let database: FaultProxy;
  let redis: FaultProxy;
  let child: ChildProcess;
  let base = '';
  let output = '';
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    database = await FaultProxy.start(TEST_DATABASE_URL);
    redis = await FaultProxy.start(TEST_REDIS_URL);
    const databaseUrl = new URL(database.url(TEST_DATABASE_URL));
    databaseUrl.pathname = `/${name}`;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['bin/edugate.js', 'start', '--role', 'county'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: databaseUrl.toString(),
        REDIS_URL: redis.url(TEST_REDIS_URL),
        EDUGATE_HOST: '127.0.0.1',
        EDUGATE_COUNTY_PORT: String(port),
        EDUGATE_DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        DATABASE_CONNECT_TIMEOUT_MS: '1000',
        DATABASE_STATEMENT_TIMEOUT_MS: '1500',
        REDIS_CONNECT_TIMEOUT_MS: '1000',
        REDIS_COMMAND_TIMEOUT_MS: '500',
        EDUGATE_READINESS_TIMEOUT_MS: '500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await until(200, '/readyz', 90_000);
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await database?.close();
    await redis?.close();
    await admin?.query(`drop database if exists ${name} with (force)`);
    await admin?.end();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Status of `path` (0 when the process does not answer at all). */
  const status = async (path: string) => {
    try {
      return (await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5000) })).status;
    } catch {
      return 0;
    }
  };
  /** Milliseconds until `path` answers `expected`; never a 500, and the process stays up. */
  const until = async (expected: number, path: string, within = 10_000) => {
    const started = performance.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the process exited (${child.exitCode}):\n${output}`);
      const got = await status(path);
      expect(got, output).not.toBe(500);
      if (got === expected) return performance.now() - started;
      if (performance.now() - started > within) throw new Error(`${path} still ${got}:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const alive = () => expect(child.exitCode, output).toBeNull();

  it('outlives its database backends being terminated and serves again at once', async () => {
    expect(await status('/')).toBe(200);
    const { rowCount } = await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [name],
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
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code, output).toBe(0);
  });
});
