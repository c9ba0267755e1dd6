import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGN_IN_BUDGETS } from '../../platform/security/sign-in-guard.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import { hashesCheckedDuring } from '../../platform/testing/password-hashes.ts';
import { missingService, redisAvailable, TEST_REDIS_URL } from '../../platform/testing/services.ts';
import { newVerifiedTeacher, storedSessions } from '../testing/accounts.ts';
import { logIn } from '../testing/portal-steps.ts';
import { type CountyTestApp, linksIn, startCountyTestApp, TestClient } from '../testing.ts';

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
  beforeAll(async () => {
    t = await startCountyTestApp(kind, redis ? { redisUrl: TEST_REDIS_URL } : {});
  });
  afterAll(async () => t?.close());

  /** An account of this run only (counters in Redis outlive the run). */
  const newAccount = () => newVerifiedTeacher(t.county, 'login', PASSWORD);
  /** Failures of the account from unknown browsers, as guesses elsewhere would have left them. */
  const failuresElsewhere = async (username: string, n: number) => {
    const store = t.county.ctx.throttleStore('county');
    for (let i = 0; i < n; i++) await store.take([`acct:cyc:${username}`], SIGN_IN_BUDGETS.windowSeconds);
  };
  /** Counts the password hashes checked while `run` runs. */
  const hashesDuring = (run: () => Promise<unknown>) => hashesCheckedDuring(t.county.hasher, run);

  const databaseSessions = () => storedSessions(t.county.db);

  it('signs in, lists the session, and a planted session id signs nobody in', async () => {
    const username = await newAccount();
    const ip = address();
    const c = new TestClient(t.app, ip);
    const before = await databaseSessions();
    await c.get('/cyc/login');
    // An anonymous visit stores nothing.
    expect(await databaseSessions()).toBe(before);
    const planted = new TestClient(t.app, ip);
    const r = await c.post('/cyc/login', { username: username.toUpperCase(), password: PASSWORD });
    expect(r.status).toBe(303);
    expect(await databaseSessions()).toBe(redis ? 0 : before + 1);
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

  it("starts the account's budget afresh with a sign-in and gives the address its count back", async () => {
    const username = await newAccount();
    await failuresElsewhere(username, SIGN_IN_BUDGETS.account - 1);
    const ip = address();
    const c = new TestClient(t.app, ip);
    await c.get('/cyc/login');
    expect((await c.post('/cyc/login', { username, password: PASSWORD })).status).toBe(303);
    const counters = await t.county.ctx
      .throttleStore('county')
      .countsOf([`acct:cyc:${username}`, `ip:${ip}`]);
    expect(counters.map((counter) => counter.count)).toEqual([0, 0]);
  });

  it('refuses wrong passwords and unknown names alike', async () => {
    const username = await newAccount();
    const c = new TestClient(t.app, address());
    await c.get('/cyc/login');
    const unknown = await c.post('/cyc/login', { username: `${username}x`, password: PASSWORD });
    expect(unknown.status).toBe(401);
    const wrong = await c.post('/cyc/login', { username, password: 'not the password at all' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('帳號或密碼錯誤');
  });

  it('checks one password of 20 guesses sent at once when the account has one attempt left', async () => {
    const username = await newAccount();
    await failuresElsewhere(username, SIGN_IN_BUDGETS.account - 1);
    const guessers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const c = new TestClient(t.app, address());
        await c.get('/cyc/login');
        return c;
      }),
    );
    let answers: Array<{ status: number }> = [];
    const hashes = await hashesDuring(async () => {
      answers = await Promise.all(
        guessers.map((c, i) => c.post('/cyc/login', { username, password: `guess number ${i}` })),
      );
    });
    expect(hashes).toBe(1);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(19);
  });

  it('under an attack, the owner on a new browser gets in through the mailed reset link, without waiting', async () => {
    const username = await newAccount();
    await failuresElsewhere(username, SIGN_IN_BUDGETS.account);
    const owner = new TestClient(t.app, address());
    await owner.get('/cyc/login');
    expect((await owner.post('/cyc/login', { username, password: PASSWORD })).status).toBe(429);

    // 忘記密碼 from this browser (the same answer for anyone; the mail comes from a job).
    await owner.get('/cyc/forgot');
    expect((await owner.post('/cyc/forgot', { identifier: username })).status).toBe(200);
    await t.drain();
    const link = linksIn(t.lastMailTo(`${username}@example.org`)?.text ?? '').find((l) =>
      l.includes('/reset?'),
    );
    expect(link).toBeTruthy();
    const url = new URL(link ?? '');
    await owner.get(`${url.pathname}${url.search}`);
    const NEW = 'a fresh long password 2026';
    const reset = await owner.post('/cyc/reset', {
      token: url.searchParams.get('token') ?? '',
      password: NEW,
      password_confirm: NEW,
    });
    expect(reset.status).toBe(200);

    // This browser has its own budget now: in at once; another new browser still waits.
    await owner.get('/cyc/login');
    expect((await owner.post('/cyc/login', { username, password: NEW })).status).toBe(303);
    const stranger = new TestClient(t.app, address());
    await stranger.get('/cyc/login');
    expect((await stranger.post('/cyc/login', { username, password: NEW })).status).toBe(429);
  });

  it('lets the owner in from a browser they signed in with while guesses lock out unknown ones', async () => {
    const username = await newAccount();
    const owner = new TestClient(t.app, address());
    await owner.get('/cyc/login');
    expect((await owner.post('/cyc/login', { username, password: PASSWORD })).status).toBe(303);
    await owner.get('/cyc');
    // Signed out: the 「您已登出」 page.
    const signedOut = await owner.post('/cyc/logout', {});
    expect(signedOut.status).toBe(200);
    expect(signedOut.body).toContain('id="signed-out-services"');

    // Guessing from elsewhere spends the account's budget for browsers it does not know.
    await failuresElsewhere(username, SIGN_IN_BUDGETS.account);
    const attacker = new TestClient(t.app, address());
    await attacker.get('/cyc/login');
    const hashes = await hashesDuring(async () => {
      const guess = await attacker.post('/cyc/login', { username, password: 'one more guess' });
      expect(guess.status).toBe(429);
      expect(Number(guess.headers['retry-after'])).toBeGreaterThan(60);
      // Even the right password waits, from a browser the account does not know.
      const stranger = new TestClient(t.app, address());
      const refused = await logIn(stranger, { username, password: PASSWORD });
      expect(refused.status).toBe(429);
      expect(refused.body).toContain('曾成功登入過的瀏覽器');
    });
    expect(hashes).toBe(0);

    // The owner's browser keeps its own budget: a typo, then the right password.
    await owner.get('/cyc/login');
    expect((await owner.post('/cyc/login', { username, password: 'a typo of mine' })).status).toBe(401);
    expect((await owner.post('/cyc/login', { username, password: PASSWORD })).status).toBe(303);
  });
});
