import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../platform/database/connect.ts';
import { migrate } from '../platform/database/migrations.ts';
import { platformMigrations } from '../platform/database/platform-migrations.ts';
import { DEMO_CLIENTS } from '../platform/federation/clients.ts';
import type { TestDatabaseKind } from '../platform/testing/databases.ts';
import { FaultProxy } from '../platform/testing/fault-proxy.ts';
import { postgresAndRedis } from '../platform/testing/process-stage.ts';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../platform/testing/services.ts';
import { newVerifiedTeacher } from './testing/accounts.ts';
import { type CountyTestApp, startCountyTestApp, TestClient } from './testing.ts';

// A county node on PostgreSQL and Redis, both behind a proxy that stalls, resets, black-holes or
// refuses their connections. Whatever breaks, a request gets an answer within the timeouts (503
// with Retry-After while a dependency is out), /readyz tells the load balancer, the node serves
// again within seconds of the fault ending, and nothing a user did is lost or counted twice.

const services = await postgresAndRedis();

/** Short timeouts, so that each fault shows within a second or two. */
const TIMEOUTS = { connectMs: 1000, statementMs: 1500, idleInTransactionMs: 5000 };
/** The client gives up on a statement without an answer one second after the statement timeout. */
const DATABASE_ANSWER_MS = TIMEOUTS.statementMs + 1000;
const REDIS_COMMAND_MS = 500;
const READINESS_MS = 500;
const PASSWORD = 'a long enough login password';

describe.runIf(services)('a county node through database and Redis faults', () => {
  let database: FaultProxy;
  let redis: FaultProxy;
  let t: CountyTestApp;
  let schema = '';
  let username = '';
  let signedIn: TestClient;

  beforeAll(async () => {
    database = await FaultProxy.start(TEST_DATABASE_URL);
    redis = await FaultProxy.start(TEST_REDIS_URL);
    schema = `test_faults_${randomBytes(5).toString('hex')}`;
    const proxied: TestDatabaseKind = {
      name: 'postgres',
      async open<T>(...sets: Parameters<TestDatabaseKind['open']>) {
        const opened = await openDatabase<T>({
          url: database.url(TEST_DATABASE_URL),
          schema,
          poolSize: 4,
          timeouts: TIMEOUTS,
        });
        await migrate(opened.db, schema, platformMigrations, ...sets);
        return opened;
      },
    };
    t = await startCountyTestApp(proxied, {
      redisUrl: redis.url(TEST_REDIS_URL),
      redisConnectTimeoutMs: 1000,
      redisCommandTimeoutMs: REDIS_COMMAND_MS,
      readinessTimeoutMs: READINESS_MS,
    });
    username = await newVerifiedTeacher(t.county, 'faults', PASSWORD);
    signedIn = new TestClient(t.app, address());
    await signedIn.get('/cyc/login');
    expect((await signedIn.post('/cyc/login', { username, password: PASSWORD })).status).toBe(303);
  });
  afterAll(async () => {
    await database?.heal();
    await redis?.heal();
    await t?.close();
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
    await database?.close();
    await redis?.close();
  });
  beforeEach(async () => {
    // Each fault starts from a node that serves.
    await database.heal();
    await redis.heal();
    await servedAgain(() => t.app.inject({ url: '/readyz' }));
  });

  /** A page that reads the database on every request (the portal chooser). */
  const chooser = (accept = 'text/html') => t.app.inject({ url: '/', headers: { accept } });
  /** A page that reads the browser session (Redis) and the account (database). */
  const sessionsPage = () => signedIn.get('/cyc/account/sessions');

  it('while the database stalls: 503 with Retry-After within the timeout, /readyz 503, then served again', async () => {
    database.stall();
    const page = await timed(() => chooser());
    expect(page.value.statusCode).toBe(503);
    expect(page.value.headers['retry-after']).toBe('5');
    expect(page.value.body).toContain('系統忙碌中');
    expect(page.ms).toBeLessThan(DATABASE_ANSWER_MS + 1000);

    const api = await timed(() => chooser('application/json'));
    expect(api.value.statusCode).toBe(503);
    expect(api.value.json()).toMatchObject({ error: 'overloaded' });
    expect(api.value.headers['retry-after']).toBe('5');
    expect(api.ms).toBeLessThan(DATABASE_ANSWER_MS + 1000);

    const ready = await timed(() => t.app.inject({ url: '/readyz' }));
    expect(ready.value.statusCode).toBe(503);
    expect(ready.ms).toBeLessThan(READINESS_MS + 500);
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);

    await database.heal();
    const back = await servedAgain(() => chooser());
    expect(back).toBeLessThan(5000);
    expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('when the database connections are reset (restart, failover): never a 500, served again at once', async () => {
    expect((await chooser()).statusCode).toBe(200);
    database.reset();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await chooser()).statusCode);
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
    expect(statuses.at(-1)).toBe(200);
  });

  it('when the database backends are terminated (pg_terminate_backend): served again at once', async () => {
    expect((await chooser()).statusCode).toBe(200);
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ terminated: boolean }>(
        'select pg_terminate_backend(pid) as terminated from pg_stat_activity where client_port = any($1::int[])',
        [database.upstreamPorts],
      );
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await servedAgain(() => chooser())).toBeLessThan(2000);
  });

  it('while the database is black-holed or refuses connections: 503 within the timeout, then served again', async () => {
    database.blackHole();
    database.reset(); // the open connections die too: new ones go into the hole
    const holed = await timed(() => chooser());
    expect(holed.value.statusCode).toBe(503);
    expect(holed.ms).toBeLessThan(TIMEOUTS.connectMs + 1000);
    expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(503);

    await database.refuse();
    const refused = await timed(() => chooser());
    expect(refused.value.statusCode).toBe(503);
    expect(refused.ms).toBeLessThan(TIMEOUTS.connectMs + 500);

    await database.heal();
    expect(await servedAgain(() => chooser())).toBeLessThan(5000);
  });

  it('while Redis stalls: 503 within the command timeout, /readyz 503, then served again', async () => {
    expect((await sessionsPage()).status).toBe(200);
    redis.stall();
    const page = await timed(() => sessionsPage());
    expect(page.value.status).toBe(503);
    expect(page.value.headers['retry-after']).toBe('5');
    expect(page.value.body).toContain('系統忙碌中');
    expect(page.ms).toBeLessThan(REDIS_COMMAND_MS + 1000);
    const ready = await timed(() => t.app.inject({ url: '/readyz' }));
    expect(ready.value.statusCode).toBe(503);
    expect(ready.ms).toBeLessThan(READINESS_MS + 500);

    await redis.heal();
    expect(await servedAgain(async () => ({ statusCode: (await sessionsPage()).status }))).toBeLessThan(5000);
  });

  it('when Redis refuses connections or they are reset: 503 at once (never a 500 or a wait), then served again', async () => {
    expect((await sessionsPage()).status).toBe(200);
    await redis.refuse();
    const refused = await timed(() => sessionsPage());
    expect(refused.value.status).toBe(503);
    expect(refused.ms).toBeLessThan(REDIS_COMMAND_MS);
    expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(503);
    await redis.heal();
    expect(await servedAgain(async () => ({ statusCode: (await sessionsPage()).status }))).toBeLessThan(5000);

    redis.reset();
    const after = await sessionsPage();
    expect([200, 503]).toContain(after.status);
    expect(await servedAgain(async () => ({ statusCode: (await sessionsPage()).status }))).toBeLessThan(5000);
  });

  it('OIDC endpoints answer the protocol error temporarily_unavailable while a dependency is down', async () => {
    await redis.refuse();
    const userinfo = await t.app.inject({
      url: '/cyc/oidc/v1/userinfo',
      headers: { authorization: 'Bearer an-access-token', accept: 'application/json' },
    });
    expect(userinfo.statusCode).toBe(503);
    expect(userinfo.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(userinfo.headers['retry-after']).toBe('5');

    // The authorization endpoint sends the browser back to the client with the error (RFC 6749 §4.1.2.1).
    const { cloudAtCounty } = DEMO_CLIENTS;
    const redirectUri = `${t.ctx.urls.cloud.replace(/\/$/, '')}${cloudAtCounty.redirectPath}`;
    const query = new URLSearchParams({
      client_id: cloudAtCounty.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid',
      state: 'st4te',
    });
    const authorize = await t.app.inject({ url: `/cyc/oidc/v1/azp?${query}` });
    expect(authorize.statusCode).toBe(303);
    const back = new URL(String(authorize.headers.location));
    expect(`${back.origin}${back.pathname}`).toBe(redirectUri);
    expect(back.searchParams.get('error')).toBe('temporarily_unavailable');
    expect(back.searchParams.get('state')).toBe('st4te');

    // The resource APIs answer likewise.
    const resource = await t.app.inject({
      url: '/cyc/cncresource/api/v1/guid',
      headers: { authorization: 'Bearer an-access-token' },
    });
    expect(resource.statusCode).toBe(503);
    expect(resource.json()).toMatchObject({ error: 'temporarily_unavailable' });
    // One answer, word for word, wherever the protocol answers.
    expect(resource.json()).toEqual(userinfo.json());
    expect(resource.headers['retry-after']).toBe('5');
    await redis.heal();
    await servedAgain(() => t.app.inject({ url: '/readyz' }));
    const after = await t.app.inject({
      url: '/cyc/oidc/v1/userinfo',
      headers: { authorization: 'Bearer an-access-token', accept: 'application/json' },
    });
    expect(after.statusCode).toBe(401);
  });

  it('a login is recorded once: each committed sign-in is one audit record and one session, whatever fails', async () => {
    const count = async () => {
      const audit = await t.county.db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('action', '=', 'login.succeeded')
        .where('actor', '=', username)
        .executeTakeFirstOrThrow();
      const sessions = await t.county.db
        .selectFrom('county_account_sessions as s')
        .innerJoin('county_accounts as a', 'a.id', 's.account_id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('a.username', '=', username)
        .executeTakeFirstOrThrow();
      return { audit: Number(audit.n), sessions: Number(sessions.n) };
    };
    const before = await count();
    expect(before.audit).toBe(before.sessions);
    let succeeded = 0;
    const faults: Array<() => Promise<void> | void> = [
      () => database.stall(),
      () => database.reset(),
      () => redis.stall(),
      () => redis.reset(),
      () => database.refuse(),
    ];
    for (const fault of faults) {
      const c = new TestClient(t.app, address());
      await c.get('/cyc/login');
      // The fault strikes while the password is being checked, before the sign-in is written.
      const login = c.post('/cyc/login', { username, password: PASSWORD });
      await new Promise((resolve) => setTimeout(resolve, 5));
      await fault();
      const outcome = await login;
      expect([303, 503]).toContain(outcome.status);
      if (outcome.status === 303) succeeded++;
      await database.heal();
      await redis.heal();
      await servedAgain(() => t.app.inject({ url: '/readyz' }));
    }
    const after = await count();
    // Never an audit record without its session or the other way round, never one twice.
    expect(after.audit - before.audit).toBe(after.sessions - before.sessions);
    expect(after.audit - before.audit).toBeGreaterThanOrEqual(succeeded);
    expect(after.audit - before.audit).toBeLessThanOrEqual(faults.length);
    // And the teacher signs in as soon as the fault is over.
    const c = new TestClient(t.app, address());
    await c.get('/cyc/login');
    expect((await c.post('/cyc/login', { username, password: PASSWORD })).status).toBe(303);
    const last = await count();
    expect(last.audit - after.audit).toBe(1);
    expect(last.sessions - after.sessions).toBe(1);
  });
});

/** A client address of this run only (address counters in Redis outlive a run). */
function address(): string {
  return `198.18.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

/** Milliseconds until `request` answers 200 (fails after 10 s). */
async function servedAgain(request: () => Promise<{ statusCode: number }>): Promise<number> {
  const started = performance.now();
  for (;;) {
    const { statusCode } = await request();
    expect(statusCode).not.toBe(500);
    if (statusCode === 200) return performance.now() - started;
    if (performance.now() - started > 10_000) throw new Error(`still ${statusCode} after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
