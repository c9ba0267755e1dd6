import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { verify } from '@node-rs/argon2';
import pg from 'pg';
import { insertAccount } from '../src/county/accounts/repository.ts';
import { countyRole } from '../src/county/role.ts';
import type { CountyTables } from '../src/county/schema.ts';
import { countyServices } from '../src/county/services.ts';
import { loadConfig } from '../src/platform/config/load.ts';
import { createLogger } from '../src/platform/observability/logger.ts';
import { bootRole } from '../src/platform/runtime/boot.ts';
import type { RoleContext } from '../src/platform/runtime/role.ts';
import { loadSecrets } from '../src/platform/runtime/secrets.ts';
import { freePort } from '../src/platform/testing/ports.ts';
import {
  postgresAvailable,
  redisAvailable,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
} from '../src/platform/testing/services.ts';
import { type FormSession, startLoad } from './load-worker.ts';
import type { Figure } from './report.ts';

const PASSWORD = 'bench login password 2026';
const ACCOUNTS = 64;
/** Seconds per measured slice of raw verifications or of logins. */
const SLICE_S = 4;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** A signed-out browser that has loaded the login page: its session cookie and form token. */
async function loginPageSession(base: string): Promise<FormSession> {
  const response = await fetch(`${base}/cyc/login`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await response.text())?.[1] ?? '';
  return { cookie, csrf };
}

/**
 * `count` signed-out browsers, fetched over a few connections at a time: thousands of connections
 * opened at once overflow the server's listen queue and get reset.
 */
async function loginPageSessions(base: string, count: number): Promise<FormSession[]> {
  const sessions: FormSession[] = [];
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (sessions.length < count) sessions.push(await loginPageSession(base));
    }),
  );
  return sessions;
}

/**
 * County portal on PostgreSQL, driven by autocannon:
 * - password logins/s through the real login endpoint (session + CSRF + throttles + audit +
 *   argon2id), as a ratio to raw argon2id verifications/s measured in the same run (target ≥ 0.8),
 *   with everything in PostgreSQL, and as deployed in production: sessions and throttling
 *   counters in Redis (when it answers), accounts and the audit log in PostgreSQL;
 * - the home page's p99 latency at half of its measured capacity (budget 100 ms, SPEC §7).
 */
export async function benchCountyLogin(seconds = 5, rounds = 7): Promise<Figure[]> {
  if (!(await postgresAvailable())) {
    console.warn('[skipped] county login bench needs PostgreSQL (EDUGATE_TEST_DATABASE_URL)');
    return [];
  }
  const figures = await measureCounty(seconds, rounds, undefined);
  if (await redisAvailable(TEST_REDIS_URL))
    figures.push(...(await measureCounty(seconds, rounds, TEST_REDIS_URL)));
  else console.warn('[skipped] the PostgreSQL + Redis login figure needs Redis (EDUGATE_TEST_REDIS_URL)');
  return figures;
}

async function measureCounty(
  seconds: number,
  rounds: number,
  redisUrl: string | undefined,
): Promise<Figure[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edugate-bench-county-'));
  // The county role on its own PostgreSQL database, created for the run and dropped after.
  const name = `edugate_bench_county_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const databaseUrl = new URL(TEST_DATABASE_URL);
  databaseUrl.pathname = `/${name}`;
  const config = loadConfig(
    {},
    {
      dataDir,
      databaseUrl: databaseUrl.href,
      logLevel: 'warn',
      captcha: 'off',
      countyPort: await freePort(),
      ...(redisUrl ? { redisUrl } : {}),
    },
  );
  const running = await bootRole(countyRole, {
    config,
    secrets: loadSecrets(config, false),
    log: createLogger('warn'),
    demo: true,
    startJobs: false,
  });
  let stopLoad: (() => Promise<void>) | undefined;
  try {
    const county = countyServices(running.ctx as unknown as RoleContext<CountyTables>);
    const stored = await county.hasher.hash(PASSWORD);
    for (let i = 0; i < ACCOUNTS; i++) {
      await insertAccount(county.db, {
        tenant: 'cyc',
        username: `bench${String(i).padStart(3, '0')}`,
        passwordHash: stored,
        email: `bench${i}@example.org`,
        emailVerified: true,
        role: 'teacher',
        status: 'active',
        unitCode: '454503',
      });
    }
    await running.app.listen({ port: config.countyPort, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${config.countyPort}`;

    // Raw argon2id and logins in alternating slices (which goes first alternates too), after a
    // warm-up of each, so that load from elsewhere on the machine weighs on both alike; each
    // figure is the median of its slices. Raw verifications run two per core on the thread pool
    // (the machine's ceiling); logins come from enough connections to keep the password service's
    // queue from running dry (the bounded queue holds the ones waiting), as a start-of-day crowd
    // would.
    const verifying = Math.max(county.hasher.maxConcurrency, availableParallelism() * 2);
    const connections = county.hasher.maxConcurrency * 8;
    const rawSlice = async (ms: number) => {
      const end = Date.now() + ms;
      let done = 0;
      await Promise.all(
        Array.from({ length: verifying }, async () => {
          while (Date.now() < end) {
            await verify(stored, PASSWORD);
            done++;
          }
        }),
      );
      return done / (ms / 1000);
    };
    // Each login comes from a browser of its own that loaded the login form, so prepare enough.
    const expected = (await rawSlice(1000)) * (rounds + 1) * SLICE_S;
    const sessions = await loginPageSessions(base, Math.ceil(expected * 1.5) + 200);
    // autocannon runs in a process of its own (see load-worker.ts), as against a running server.
    const load = await startLoad({ base, sessions, accounts: ACCOUNTS, password: PASSWORD });
    stopLoad = load.stop;
    let refused = 0;
    const loginSlice = async (seconds: number) => {
      const result = await load.run({ kind: 'logins', seconds, connections });
      refused += result.refused;
      return result.redirects / result.duration;
    };
    await loginSlice(1);
    const rawRates: number[] = [];
    const loginRates: number[] = [];
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        rawRates.push(await rawSlice(SLICE_S * 1000));
        loginRates.push(await loginSlice(SLICE_S));
      } else {
        loginRates.push(await loginSlice(SLICE_S));
        rawRates.push(await rawSlice(SLICE_S * 1000));
      }
    }
    const raw = median(rawRates);
    const signedIn = median(loginRates);
    const paired = median(loginRates.map((rate, index) => rate / (rawRates[index] ?? rate)));
    if (refused > 0) {
      console.warn(`logins: ${refused} answers other than a sign-in (503 = shed load, as designed)`);
    }

    const login: Figure = {
      name: `county password logins (HTTP, ${redisUrl ? 'PostgreSQL + Redis' : 'PostgreSQL'})`,
      value: signedIn,
      unit: '/s',
      baseline: raw,
      baselineName: 'raw argon2id verifications',
      paired: { ratio: paired, pairs: rounds },
      target: 0.8,
    };
    if (redisUrl) return [login];

    const capacity = await load.run({ kind: 'get', url: `${base}/cyc`, connections: 16, seconds });
    const half = Math.max(1, Math.floor(capacity.requestsPerSecond / 2));
    const steady = await load.run({
      kind: 'get',
      url: `${base}/cyc`,
      connections: 16,
      seconds,
      overallRate: half,
    });
    console.log(
      `home page capacity ${capacity.requestsPerSecond.toFixed(0)} req/s; measured p99 at ${half} req/s`,
    );

    return [
      login,
      {
        name: 'county home page p99 at half capacity',
        value: steady.p99,
        unit: 'ms',
        baseline: 100,
        baselineName: 'SPEC §7 budget',
        lowerIsBetter: true,
        target: 1,
      },
    ];
  } finally {
    await stopLoad?.();
    await running.close();
    await admin.query(`drop database if exists ${name}`).catch(() => undefined);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
