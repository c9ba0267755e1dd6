import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { FaultProxy } from './fault-proxy.ts';
import {
  missingService,
  postgresAvailable,
  redisAvailable,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
} from './services.ts';

/**
 * True when PostgreSQL and Redis answer; otherwise the suite is skipped with a notice (outside CI)
 * or the run fails (in CI).
 */
export async function postgresAndRedis(): Promise<boolean> {
  const up = (await postgresAvailable()) && (await redisAvailable(TEST_REDIS_URL));
  if (!up) missingService('PostgreSQL and Redis', `tried ${TEST_DATABASE_URL} and ${TEST_REDIS_URL}`);
  return up;
}

export interface StageOptions {
  /** A Redis database number of its own (2–15): sessions and sign-in budgets of no other suite. */
  ownRedisDatabase?: boolean;
}

/**
 * What role processes under test run on: a new PostgreSQL database, Redis, a data directory, and
 * a fault proxy in front of each of the database and Redis (forwarding until a test breaks it).
 */
export interface ProcessStage {
  /** The new database's name. */
  readonly name: string;
  /** The new database, reached directly (not through the proxy). */
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly dataDir: string;
  /** The proxy in front of PostgreSQL. */
  readonly database: FaultProxy;
  /** The proxy in front of Redis. */
  readonly redis: FaultProxy;
  /** `DATABASE_URL`, `REDIS_URL` (through the proxies) and `EDUGATE_DATA_DIR` for a role process. */
  readonly env: Record<string, string>;
  /** The same, with the database and Redis reached directly (a process no fault reaches). */
  readonly directEnv: Record<string, string>;
  /** A query on the new database, reached directly (to check what the processes wrote). */
  query(sql: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** Closes the proxies, drops the database and removes the data directory; stop processes first. */
  close(): Promise<void>;
}

export async function processStage(prefix: string, options: StageOptions = {}): Promise<ProcessStage> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const direct = new URL(TEST_DATABASE_URL);
  direct.pathname = `/${name}`;
  const redisUrl = new URL(TEST_REDIS_URL);
  if (options.ownRedisDatabase) redisUrl.pathname = `/${2 + Math.floor(Math.random() * 14)}`;
  const database = await FaultProxy.start(TEST_DATABASE_URL);
  const redis = await FaultProxy.start(TEST_REDIS_URL);
  const dataDir = mkdtempSync(join(tmpdir(), `${prefix.replaceAll('_', '-')}-`));
  const databaseUrl = direct.toString();
  let checks: pg.Client | undefined;
  return {
    name,
    databaseUrl,
    redisUrl: redisUrl.toString(),
    dataDir,
    database,
    redis,
    env: {
      DATABASE_URL: database.url(databaseUrl),
      REDIS_URL: redis.url(redisUrl.toString()),
      EDUGATE_DATA_DIR: dataDir,
    },
    directEnv: { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl.toString(), EDUGATE_DATA_DIR: dataDir },
    async query(sql, values) {
      if (!checks) {
        checks = new pg.Client({ connectionString: databaseUrl });
        await checks.connect();
      }
      return checks.query(sql, values);
    },
    async close() {
      await checks?.end().catch(() => undefined);
      await database.close();
      await redis.close();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
