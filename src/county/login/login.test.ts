import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../demo/seed-data.ts';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { OPEN_REDIRECT_BYPASSES } from '../../platform/testing/open-redirects.ts';
import { authenticate } from '../accounts/authenticate.ts';
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
    expect(home.body).not.toContain('name="captcha"');
  });

  it('signs a demo teacher in and out; the session cookie is per tenant', async () => {
    const c = new TestClient(t.app);
    await c.get('/cyc/login');
    const r = await c.post('/cyc/login', {
      username: 'teacher01',
      password: DEMO_PASSWORD,
      next: '/cyc/account',
    });
    expect(r.status).toBe(303);
    expect(String(r.headers['set-cookie'])).toMatch(/edugate_county_cyc=.*Path=\/cyc/);
    const home = await c.get('/cyc');
    expect(home.body).toContain('王小明');
    await c.post('/cyc/logout', {});
    expect((await c.get('/cyc')).body).toContain('name="password"');
  });

  it('refuses a wrong password without saying which part was wrong, then asks for a CAPTCHA', async () => {
    const c = new TestClient(t.app, '198.51.100.7');
    await c.get('/cyc/login');
    for (let i = 0; i < 3; i++) {
      const r = await c.post('/cyc/login', { username: 'teacher01', password: 'wrong-password' });
      expect(r.status).toBe(401);
      expect(r.body).toContain('帳號或密碼錯誤');
    }
    const page = await c.get('/cyc/login');
    expect(page.body).toContain('name="captcha"');
    expect(page.body).toMatch(/等於多少/);
    const noCaptcha = await c.post('/cyc/login', { username: 'teacher01', password: DEMO_PASSWORD });
    expect(noCaptcha.status).toBe(400);
    expect(noCaptcha.body).toContain('請輸入驗證碼');
    const q = /或回答：(\d) 加 (\d) 等於多少/.exec(noCaptcha.body);
    expect(q).not.toBeNull();
    const answer = String(Number(q?.[1]) + Number(q?.[2]));
    const ok = await c.post('/cyc/login', {
      username: 'teacher01',
      password: DEMO_PASSWORD,
      captcha: answer,
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
    await c.get('/cyc/login');
    const first = await c.post('/cyc/login', {
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

  it('refuses a POST without CSRF token', async () => {
    const c = new TestClient(t.app);
    await c.get('/cyc/login');
    const r = await c.post('/cyc/login', { _csrf: '', username: 'teacher01', password: DEMO_PASSWORD });
    expect(r.status).toBe(403);
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
