import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_PASSWORD } from '../../platform/federation/seed-data.ts';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { OPEN_REDIRECT_BYPASSES } from '../../platform/testing/open-redirects.ts';
import { solveOnPage } from '../../platform/testing/proof-of-work.ts';
import { authenticate } from '../accounts/authenticate.ts';
import { storedSessions } from '../testing/accounts.ts';
import { logIn } from '../testing/portal-steps.ts';
import { type CountyTestApp, startCountyTestApp, TestClient } from '../testing.ts';

describe('county login (HTTP)', () => {
  let t: CountyTestApp;
  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase, {
      captcha: 'after-failures',
      captchaAfterFailures: 3,
    });
  });
  afterAll(async () => t?.close());

  it('shows the home page with the login box and the how-to announcement', async () => {
    const c = new TestClient(t.app);
    const home = await c.get('/cyc');
    expect(home.status).toBe(200);
    expect(home.body).toContain('嘉義縣教師資訊應用服務入口');
    expect(home.body).toContain(
      '系統管理員 - 本站公告 | <time datetime="2013-11-29T07:55:28.000Z">2013-11-29 15:55:28</time>',
    );
    expect(home.body).toContain('name="username"');
    expect(home.body).not.toContain('data-pow-challenge=');
  });

  it('signs a demo teacher in and out; the session cookie is per tenant', async () => {
    const c = new TestClient(t.app);
    const r = await logIn(c, { username: 'teacher01', password: DEMO_PASSWORD, next: '/cyc/account' });
    expect(r.status).toBe(303);
    expect(String(r.headers['set-cookie'])).toMatch(/edugate_county_cyc=.*Path=\/cyc/);
    const home = await c.get('/cyc');
    expect(home.body).toContain('王小明');
    await c.post('/cyc/logout', {});
    expect((await c.get('/cyc')).body).toContain('name="password"');
  });

  it('refuses a wrong password without saying which part was wrong, then asks for the proof of work', async () => {
    const c = new TestClient(t.app, '198.51.100.7');
    await c.get('/cyc/login');
    let last = { body: '' };
    for (let i = 0; i < 3; i++) {
      const r = await c.post('/cyc/login', { username: 'teacher01', password: 'wrong-password' });
      expect(r.status).toBe(401);
      expect(r.body).toContain('帳號或密碼錯誤');
      last = r;
    }
    // The page says what happens and carries a challenge whose answer is nowhere on it.
    expect(last.body).toContain('data-pow-challenge=');
    expect(last.body).toContain('您的瀏覽器會先做一小段運算');
    expect(last.body).toContain('<script src="/assets/proof-of-work.js" defer></script>');
    expect(last.body).not.toContain('name="captcha"');
    const noSolution = await c.post('/cyc/login', { username: 'teacher01', password: DEMO_PASSWORD });
    expect(noSolution.status).toBe(400);
    expect(noSolution.body).toContain('請等瀏覽器完成下方的驗證後再登入');
    const ok = await c.post('/cyc/login', {
      username: 'teacher01',
      password: DEMO_PASSWORD,
      altcha: await solveOnPage(noSolution.body),
    });
    expect(ok.status).toBe(303);
  });

  it('returns only to a path of the same portal after signing in (next)', async () => {
    const tries = [
      ...OPEN_REDIRECT_BYPASSES,
      '/cyc/..//evil.example',
      '/cyc/%2e%2e//evil.example',
      '/cyc/%2e%2e/%2fevil.example',
      '/cyc/../tn/account',
      '/cyc/\\evil.example',
      '/cyc/%0d%0aLocation:%20https://evil.example',
    ];
    const c = new TestClient(t.app, '198.51.100.40');
    const first = await logIn(c, {
      username: 'teacher01',
      password: DEMO_PASSWORD,
      next: '/cyc/..//evil.example',
    });
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/cyc/account');
    for (const next of tries) {
      const again = await c.get(`/cyc/login?next=${encodeURIComponent(next)}`);
      expect([next, again.status, again.headers.location]).toEqual([next, 303, '/cyc/account']);
    }
    expect((await c.get('/cyc/login?next=%2Fcyc%2Fmanage%3Fx%3D1')).headers.location).toBe('/cyc/manage?x=1');
  });

  it('asks nobody else behind a school address for the challenge after one teacher typed wrong three times', async () => {
    const school = '198.51.100.77';
    const typist = new TestClient(t.app, school);
    await typist.get('/cyc/login');
    for (let i = 0; i < 3; i++) {
      expect((await typist.post('/cyc/login', { username: 'rv-pzjh', password: 'typo' })).status).toBe(401);
    }
    const colleague = new TestClient(t.app, school);
    const page = await colleague.get('/cyc/login');
    expect(page.body).not.toContain('data-pow-challenge=');
    const r = await colleague.post('/cyc/login', { username: 'cycadmin', password: DEMO_PASSWORD });
    expect(r.status).toBe(303);
  });

  it('serves the solving script from its own origin', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/assets/proof-of-work.js' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/javascript');
    expect(r.body).toContain("crypto.subtle.digest('SHA-256'");
  });

  it('refuses a POST without CSRF token', async () => {
    const c = new TestClient(t.app);
    const r = await logIn(c, { _csrf: '', username: 'teacher01', password: DEMO_PASSWORD });
    expect(r.status).toBe(403);
  });
});

describe('county login with the challenge always asked', () => {
  let t: CountyTestApp;
  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase, { captcha: 'always' });
  });
  afterAll(async () => t?.close());

  it('refuses a form without a solved challenge before checking any password', async () => {
    const sessions = () => storedSessions(t.county.db);
    const before = await sessions();
    const c = new TestClient(t.app, '198.51.100.9');
    const page = await c.get('/cyc/login');
    expect(page.body).toContain('data-pow-challenge=');
    // The challenge is signed, not stored: showing it writes no session.
    expect(await sessions()).toBe(before);
    const verify = vi.spyOn(t.county.hasher, 'verify');
    const refused = await c.post('/cyc/login', { username: 'teacher01', password: DEMO_PASSWORD });
    expect(refused.status).toBe(400);
    const forged = await c.post('/cyc/login', {
      username: 'teacher01',
      password: DEMO_PASSWORD,
      altcha: Buffer.from('{"algorithm":"SHA-256","number":1}').toString('base64'),
    });
    expect(forged.status).toBe(400);
    expect(verify).not.toHaveBeenCalled();
    verify.mockRestore();
    const solution = await solveOnPage(forged.body);
    const ok = await c.post('/cyc/login', {
      username: 'teacher01',
      password: DEMO_PASSWORD,
      altcha: solution,
    });
    expect(ok.status).toBe(303);
    // A solution is good for one attempt.
    const again = new TestClient(t.app, '198.51.100.9');
    const replay = await logIn(again, { username: 'teacher01', password: DEMO_PASSWORD, altcha: solution });
    expect(replay.status).toBe(400);
  });
});

describe('county login with the challenge off', () => {
  let t: CountyTestApp;
  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase, { captcha: 'off' });
  });
  afterAll(async () => t?.close());

  it('never shows a challenge, whatever failed before', async () => {
    const c = new TestClient(t.app, '198.51.100.10');
    await c.get('/cyc/login');
    for (let i = 0; i < 5; i++) {
      const r = await c.post('/cyc/login', { username: 'teacher01', password: 'wrong-password' });
      expect(r.status).toBe(401);
      expect(r.body).not.toContain('data-pow-challenge=');
    }
    expect((await c.post('/cyc/login', { username: 'teacher01', password: DEMO_PASSWORD })).status).toBe(303);
  });

  it('shows no challenge once the sign-in budget is spent either (only the wait)', async () => {
    const c = new TestClient(t.app, '198.51.100.11');
    await c.get('/cyc/login');
    let last = { status: 0, body: '' };
    for (let i = 0; i < 60 && last.status !== 429; i++) {
      last = await c.post('/cyc/login', { username: 'rv-pzjh', password: 'wrong-password' });
      expect(last.body).not.toContain('data-pow-challenge=');
    }
    expect(last.status).toBe(429);
    const again = await c.get('/cyc/login');
    expect(again.body).not.toContain('data-pow-challenge=');
  });
});

describe('county login under overload', () => {
  let t: CountyTestApp;
  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase, { argon2Concurrency: 1, argon2Queue: 1 });
  });
  afterAll(async () => t?.close());

  it('sheds logins beyond the hashing queue with 503 and Retry-After, and the rest succeed', async () => {
    const clients = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const c = new TestClient(t.app, `198.18.0.${i + 1}`);
        await c.get('/cyc/login');
        return c;
      }),
    );
    const results = await Promise.all(
      clients.map((c) => c.post('/cyc/login', { username: 'teacher01', password: DEMO_PASSWORD })),
    );
    const shed = results.filter((r) => r.status === 503);
    expect(shed.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.status === 303).length).toBeGreaterThan(0);
    for (const r of shed) {
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(r.body).toContain('系統忙碌中');
    }
  });

  it('checks nothing for a login whose browser went away while it waited', async () => {
    const before = await t.county.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('actor', '=', 'teacher01')
      .executeTakeFirstOrThrow();
    const result = await authenticate(t.county, {
      tenant: 'cyc',
      username: 'teacher01',
      password: DEMO_PASSWORD,
      ip: '198.18.1.1',
      signal: AbortSignal.abort(),
    });
    expect(result).toEqual({ ok: false, reason: 'abandoned' });
    const after = await t.county.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('actor', '=', 'teacher01')
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    expect(t.county.hasher.stats()).toMatchObject({ active: 0, queued: 0 });
  });
});
