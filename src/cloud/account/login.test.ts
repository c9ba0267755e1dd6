import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../platform/database/connect.ts';
import type { PlatformTables } from '../../platform/database/platform-schema.ts';
import { SIGN_IN_BUDGETS } from '../../platform/security/sign-in-guard.ts';
import { CookieBrowser } from '../../platform/testing/cookie-browser.ts';
import { embeddedTestDatabase, testDatabases } from '../../platform/testing/databases.ts';
import { OPEN_REDIRECT_BYPASSES } from '../../platform/testing/open-redirects.ts';
import { hashesCheckedDuring } from '../../platform/testing/password-hashes.ts';
import { resetPasswordByLink } from '../../platform/testing/password-reset-link.ts';
import { solveOnPage } from '../../platform/testing/proof-of-work.ts';
import { TestClient } from '../../platform/testing/test-client.ts';
import { type CloudInstance, startCloudInstance } from '../testing/cloud-instance.ts';

const PASSWORD = 'a long enough cloud password';
const address = () => `198.18.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;

describe.each(await testDatabases())('cloud login on $name', (kind) => {
  let cloud: CloudInstance;
  beforeAll(async () => {
    cloud = await startCloudInstance(await kind.open<PlatformTables>(), {
      captcha: 'after-failures',
      captchaAfterFailures: 3,
    });
  });
  afterAll(async () => cloud?.close());

  const app = () => cloud.running.app;
  const newAccount = async (backupEmail?: string) => {
    const name = `c${randomBytes(4).toString('hex')}`;
    const account = await cloud.services.accounts.create({
      name,
      passwordHash: await cloud.services.hasher.hash(PASSWORD),
      displayName: '王小明',
    });
    if (backupEmail)
      await cloud.services.db
        .updateTable('cloud_accounts')
        .set({ backup_email: backupEmail })
        .where('id', '=', account.id)
        .execute();
    return name;
  };
  const count = async (table: 'sessions' | 'jobs' | 'mail_outbox' | 'audit_log') =>
    Number(
      (
        await cloud.services.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const hashesDuring = (run: () => Promise<unknown>) => hashesCheckedDuring(cloud.services.hasher, run);

  it('shows the login page without storing a session', async () => {
    const before = await count('sessions');
    const c = new TestClient(app(), address());
    const page = await c.get('/login');
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="_csrf"');
    expect(await count('sessions')).toBe(before);
  });

  it('checks one password of 20 guesses sent at once when the account has one attempt left', async () => {
    const name = await newAccount();
    const store = cloud.running.ctx.throttleStore('cloud-login');
    for (let i = 0; i < SIGN_IN_BUDGETS.account - 1; i++)
      await store.take([`acct:${name}`], SIGN_IN_BUDGETS.windowSeconds);
    const guessers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const c = new TestClient(app(), address());
        await c.get('/login');
        return c;
      }),
    );
    // The account asks for the proof of work by now: each guess carries a solved challenge.
    const solutions = await Promise.all(
      guessers.map(async () => {
        const challenge = await cloud.services.signInGuard.challenge();
        return solveOnPage(`data-pow-challenge="${JSON.stringify(challenge).replaceAll('"', '&quot;')}"`);
      }),
    );
    let answers: Array<{ status: number }> = [];
    const hashes = await hashesDuring(async () => {
      answers = await Promise.all(
        guessers.map((c, i) =>
          c.post('/login', { name, password: `guess ${i}`, altcha: solutions[i] ?? '' }),
        ),
      );
    });
    expect(hashes).toBe(1);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(19);
  });

  it('asks for the proof of work after failures, and lets the owner’s browser in during an attack', async () => {
    const name = await newAccount();
    const owner = new TestClient(app(), address());
    await owner.get('/login');
    expect((await owner.post('/login', { name, password: PASSWORD })).status).toBe(303);

    const attacker = new TestClient(app(), address());
    await attacker.get('/login');
    let last = { body: '', status: 0 };
    for (let i = 0; i < 3; i++) last = await attacker.post('/login', { name, password: `guess ${i}` });
    expect(last.status).toBe(401);
    expect(last.body).toContain('data-pow-challenge=');
    const unsolved = await attacker.post('/login', { name, password: 'guess 4' });
    expect(unsolved.status).toBe(400);
    const solved = await attacker.post('/login', {
      name,
      password: 'guess 5',
      altcha: await solveOnPage(unsolved.body),
    });
    expect(solved.status).toBe(401);
    const store = cloud.running.ctx.throttleStore('cloud-login');
    for (let i = 0; i < SIGN_IN_BUDGETS.account; i++)
      await store.take([`acct:${name}`], SIGN_IN_BUDGETS.windowSeconds);
    const spent = await attacker.post('/login', { name, password: PASSWORD });
    expect(spent.status).toBe(429);
    // The cloud's own page: what happened and what to do, with the login form, in zh-TW and English.
    expect(spent.headers['retry-after']).toMatch(/^\d+$/);
    expect(spent.body).toContain('此帳號近期有太多來自其他瀏覽器的失敗登入');
    expect(spent.body).toContain('忘記密碼');
    expect(spent.body).toContain('id="password"');
    await attacker.get('/login?lang=en');
    const english = await attacker.post('/login', { name, password: PASSWORD });
    expect(english.status).toBe(429);
    expect(english.body).toContain('too many failed sign-ins from other browsers');

    // The owner's browser has its own budget: no challenge, no wait.
    const fresh = await owner.get('/account');
    expect(fresh.status).toBe(200);
    await owner.post('/logout', {});
    await owner.get('/login');
    expect((await owner.post('/login', { name, password: PASSWORD })).status).toBe(303);
  });

  it('under an attack, the owner on a new browser gets in through the mailed reset link, without waiting', async () => {
    const email = `${randomBytes(3).toString('hex')}@example.org`;
    const name = await newAccount(email);
    // The budget of browsers the account does not know is spent (guesses from elsewhere).
    const store = cloud.running.ctx.throttleStore('cloud-login');
    for (let i = 0; i < SIGN_IN_BUDGETS.account; i++)
      await store.take([`acct:${name}`], SIGN_IN_BUDGETS.windowSeconds);
    const owner = new TestClient(app(), address());
    await owner.get('/login');
    expect((await owner.post('/login', { name, password: PASSWORD })).status).toBe(429);

    // 忘記密碼？ from this browser: the same answer as for anyone, the mail comes from a job.
    await owner.get('/password/forgot');
    expect((await owner.post('/password/forgot', { name })).status).toBe(200);
    await cloud.running.ctx.jobs.drain();
    const mail = await cloud.services.db
      .selectFrom('mail_outbox')
      .select('text_body')
      .where('to_address', '=', email)
      .executeTakeFirstOrThrow();
    const link = new URL(/https?:\/\/\S+\/password\/reset\?token=[^\s)]+/.exec(mail.text_body)?.[0] ?? '');
    const NEW = 'a fresh long password 2026';
    const { page, reset } = await resetPasswordByLink(owner, link, '/password/reset', NEW);
    expect(page.status).toBe(200);
    expect(reset.status).toBe(303);

    // This browser now has its own budget: it signs in at once; another new browser still waits.
    await owner.get('/login');
    expect((await owner.post('/login', { name, password: NEW })).status).toBe(303);
    const stranger = new TestClient(app(), address());
    await stranger.get('/login');
    expect((await stranger.post('/login', { name, password: NEW })).status).toBe(429);
  });

  it('does the same work and answers the same to a forgotten password, known account or not', async () => {
    const name = await newAccount(`${randomBytes(3).toString('hex')}@example.org`);
    const c = new TestClient(app(), address());
    await c.get('/password/forgot');
    const work = async () => ({
      jobs: await count('jobs'),
      mails: await count('mail_outbox'),
      audits: await count('audit_log'),
    });
    const before = await work();
    const known = await c.post('/password/forgot', { name });
    const afterKnown = await work();
    const unknown = await c.post('/password/forgot', { name: `${name}x` });
    const afterUnknown = await work();
    expect(afterKnown).toEqual({ ...before, jobs: before.jobs + 1 });
    expect(afterUnknown).toEqual({ ...afterKnown, jobs: afterKnown.jobs + 1 });
    const strip = (s: string) => s.replace(/name="_csrf" value="[^"]+"/g, '');
    expect(known.status).toBe(200);
    expect(strip(known.body)).toBe(strip(unknown.body));
    // The jobs then mail the known account only.
    await cloud.running.ctx.jobs.drain();
    expect(await count('mail_outbox')).toBe(before.mails + 1);
  });
});

const RETURN_PASSWORD = 'Return-to-test-2026';

describe('the cloud login returns only to a path of the cloud (return_to)', () => {
  let cloud: CloudInstance;

  beforeAll(async () => {
    const database = await openDatabase<PlatformTables>({ dataDir: 'memory://', schema: 'public' });
    cloud = await startCloudInstance(database);
    await cloud.services.accounts.create({
      name: 'returner',
      displayName: '回程測試',
      familyName: '回',
      givenName: '程測試',
      passwordHash: await cloud.services.hasher.hash(RETURN_PASSWORD),
    });
  }, 60_000);

  afterAll(async () => {
    await cloud?.close();
  });

  it('sends every other address to the account page, before and after signing in', async () => {
    const browser = new CookieBrowser();
    const page = await browser.request(
      `${cloud.url}/login?return_to=${encodeURIComponent('/x/..//evil.example')}`,
    );
    const text = await page.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1] ?? '';
    expect(text).toContain('name="return_to" value="/account"');
    const signedIn = await browser.request(`${cloud.url}/login`, {
      form: { _csrf: csrf, name: 'returner', password: RETURN_PASSWORD, return_to: '/x/..//evil.example' },
    });
    expect([signedIn.status, signedIn.headers.get('location')]).toEqual([303, '/account']);
    for (const value of OPEN_REDIRECT_BYPASSES) {
      const again = await browser.request(`${cloud.url}/login?return_to=${encodeURIComponent(value)}`);
      expect([value, again.status, again.headers.get('location')]).toEqual([value, 303, '/account']);
    }
    const local = await browser.request(
      `${cloud.url}/login?return_to=${encodeURIComponent('/account?tab=roles')}`,
    );
    expect(local.headers.get('location')).toBe('/account?tab=roles');
  });
});

describe('cloud login with the challenge off (EDUGATE_CAPTCHA=off)', () => {
  let cloud: CloudInstance;
  beforeAll(async () => {
    cloud = await startCloudInstance(await embeddedTestDatabase.open<PlatformTables>(), { captcha: 'off' });
  });
  afterAll(async () => cloud?.close());

  it('never shows a challenge, whatever failed before', async () => {
    const name = `c${randomBytes(4).toString('hex')}`;
    await cloud.services.accounts.create({
      name,
      passwordHash: await cloud.services.hasher.hash(PASSWORD),
      displayName: '王小明',
    });
    const c = new TestClient(cloud.running.app, address());
    expect((await c.get('/login')).body).not.toContain('data-pow-challenge=');
    for (let i = 0; i < 5; i++) {
      const r = await c.post('/login', { name, password: `guess ${i}` });
      expect(r.status).toBe(401);
      expect(r.body).not.toContain('data-pow-challenge=');
    }
    expect((await c.post('/login', { name, password: PASSWORD })).status).toBe(303);
  });
});
