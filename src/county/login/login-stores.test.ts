import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../platform/testing/databases.ts';
import { missingService, redisAvailable, TEST_REDIS_URL } from '../../platform/testing/services.ts';
import { insertAccount } from '../accounts/repository.ts';
import { ACCOUNT_THROTTLE } from '../services.ts';
import { type CountyTestApp, startCountyTestApp, TestClient } from '../testing.ts';

// A login reads its throttle counters with the account and writes the browser session with the
// sign-in when both live in the accounts' database; with Redis they go there. Either way a teacher
// notices the same thing, which is what these tests check on every arrangement.
const setups: Array<{
  name: string;
  kind: Awaited<ReturnType<typeof testDatabases>>[number];
  redis: boolean;
}> = [];
for (const kind of await testDatabases()) setups.push({ name: kind.name, kind, redis: false });
const postgres = setups.find((s) => s.name === 'postgres');
if (postgres && (await redisAvailable(TEST_REDIS_URL)))
  setups.push({ name: 'postgres + redis', kind: postgres.kind, redis: true });
else missingService('Redis', `start redis-server or set EDUGATE_TEST_REDIS_URL (tried ${TEST_REDIS_URL})`);

const PASSWORD = 'a long enough login password';
/** A client address of this run only (address counters in Redis outlive the run too). */
const address = () => `198.18.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;

describe.each(setups)('county login with sessions and counters on $name', ({ kind, redis }) => {
  let t: CountyTestApp;
  /** An account of this run only (counters in Redis outlive the run). */
  let username: string;
  beforeAll(async () => {
    t = await startCountyTestApp(kind, redis ? { redisUrl: TEST_REDIS_URL } : {});
    username = `login${randomBytes(4).toString('hex')}`;
    await insertAccount(t.county.db, {
      tenant: 'cyc',
      username,
      passwordHash: await t.county.hasher.hash(PASSWORD),
      email: `${username}@example.org`,
      emailVerified: true,
      role: 'teacher',
      status: 'active',
      unitCode: '454503',
    });
  });
  afterAll(async () => t?.close());

  const storedSessions = async () =>
    Number(
      (
        await t.county.db
          .selectFrom('sessions')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('signs in, lists the session, and a planted session id signs nobody in', async () => {
    const ip = address();
    const c = new TestClient(t.app, ip);
    await c.get('/cyc/login');
    // A stored session from before the sign-in (a CAPTCHA refresh keeps its answer in it).
    await c.post('/cyc/login', { captcha_refresh: '1' });
    const planted = new TestClient(t.app, ip);
    const before = await storedSessions();
    const r = await c.post('/cyc/login', { username: username.toUpperCase(), password: PASSWORD });
    expect(r.status).toBe(303);
    // The session replaced the one from before: never one row more than before in the database.
    expect(await storedSessions()).toBe(redis ? 0 : before);
    const sessions = await c.get('/cyc/account/sessions');
    expect(sessions.status).toBe(200);
    expect(sessions.body).toContain(ip);
    const rows = await t.county.db
      .selectFrom('county_account_sessions as s')
      .innerJoin('county_accounts as a', 'a.id', 's.account_id')
      .select(['s.revoked_at'])
      .where('a.username', '=', username)
      .execute();
    expect(rows).toEqual([{ revoked_at: null }]);
    expect((await planted.get('/cyc/account/sessions')).status).not.toBe(200);
    await c.post('/cyc/logout', {});
    expect((await c.get('/cyc/account/sessions')).status).not.toBe(200);
  });

  it('refuses wrong passwords and unknown names alike, then slows the account down', async () => {
    const c = new TestClient(t.app, address());
    await c.get('/cyc/login');
    const unknown = await c.post('/cyc/login', { username: `${username}x`, password: PASSWORD });
    expect(unknown.status).toBe(401);
    for (let i = 0; i < ACCOUNT_THROTTLE.freeFailures; i++) {
      const wrong = await c.post('/cyc/login', { username, password: 'not the password at all' });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toContain('帳號或密碼錯誤');
    }
    // Even the right password waits now, from any address.
    const other = new TestClient(t.app, address());
    await other.get('/cyc/login');
    const throttled = await other.post('/cyc/login', { username, password: PASSWORD });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(throttled.body).toContain(`${username}`);
  });
});
