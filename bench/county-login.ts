import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { verify } from '@node-rs/argon2';
import autocannon from 'autocannon';
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
import { postgresAvailable, TEST_DATABASE_URL } from '../src/platform/testing/services.ts';
import type { Figure } from './report.ts';

const PASSWORD = 'bench login password 2026';
const ACCOUNTS = 64;

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** A signed-out browser that has loaded the login page: its session cookie and form token. */
async function loginPageSession(base: string): Promise<{ cookie: string; csrf: string }> {
  const response = await fetch(`${base}/cyc/login`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await response.text())?.[1] ?? '';
  return { cookie, csrf };
}

/**
 * County portal on PostgreSQL, driven by autocannon:
 * - password logins/s through the real login endpoint (session + CSRF + throttles + audit +
 *   argon2id), as a ratio to raw argon2id verifications/s measured in the same run (target ≥ 0.8);
 * - the home page's p99 latency at half of its measured capacity (budget 100 ms, SPEC §7).
 */
export async function benchCountyLogin(seconds = 5): Promise<Figure[]> {
  if (!(await postgresAvailable())) {
    console.warn('[skipped] county login bench needs PostgreSQL (EDUGATE_TEST_DATABASE_URL)');
    return [];
  }
  const cores = availableParallelism();
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
    },
  );
  const running = await bootRole(countyRole, {
    config,
    secrets: loadSecrets(config, false),
    log: createLogger('warn'),
    demo: true,
    startJobs: false,
  });
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

    // Raw ceiling first, on the same thread pool and with the same concurrency.
    const concurrency = cores * 2;
    const rawEnd = Date.now() + seconds * 1000;
    let rawDone = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < rawEnd) {
          await verify(stored, PASSWORD);
          rawDone++;
        }
      }),
    );
    const raw = rawDone / seconds;

    // Each login uses up its session (a successful sign-in regenerates it), so prepare enough.
    const sessions = await Promise.all(
      Array.from({ length: Math.ceil(raw * seconds * 1.5) + 100 }, () => loginPageSession(base)),
    );
    let next = 0;
    const logins = await run({
      url: base,
      connections: concurrency,
      duration: seconds,
      requests: [
        {
          method: 'POST',
          path: '/cyc/login',
          setupRequest: (request) => {
            const session = sessions[next % sessions.length] as { cookie: string; csrf: string };
            const username = `bench${String(next % ACCOUNTS).padStart(3, '0')}`;
            next++;
            return {
              ...request,
              headers: {
                ...request.headers,
                cookie: session.cookie,
                'content-type': 'application/x-www-form-urlencoded',
              },
              body: new URLSearchParams({ _csrf: session.csrf, username, password: PASSWORD }).toString(),
            };
          },
        },
      ],
    });
    const signedIn = logins['3xx'] / logins.duration;
    if (logins['4xx'] + logins['5xx'] > 0) {
      console.warn(
        `logins: ${logins['4xx']} 4xx and ${logins['5xx']} 5xx answers (503 = shed load, as designed)`,
      );
    }

    const capacity = await run({ url: `${base}/cyc`, connections: 16, duration: seconds });
    const half = Math.max(1, Math.floor(capacity.requests.average / 2));
    const steady = await run({ url: `${base}/cyc`, connections: 16, duration: seconds, overallRate: half });
    console.log(
      `home page capacity ${capacity.requests.average.toFixed(0)} req/s; measured p99 at ${half} req/s`,
    );

    return [
      {
        name: 'county password logins (HTTP, PostgreSQL)',
        value: signedIn,
        unit: '/s',
        baseline: raw,
        baselineName: 'raw argon2id verifications',
        target: 0.8,
      },
      {
        name: 'county home page p99 at half capacity',
        value: steady.latency.p99,
        unit: 'ms',
        baseline: 100,
        baselineName: 'SPEC §7 budget',
        lowerIsBetter: true,
        target: 1,
      },
    ];
  } finally {
    await running.close();
    await admin.query(`drop database if exists ${name}`).catch(() => undefined);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
