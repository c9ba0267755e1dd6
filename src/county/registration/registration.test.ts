import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { exercises } from '../../platform/testing/flow-coverage.ts';
import { findAccountByUsername } from '../accounts/repository.ts';
import { ACCOUNT_LIFECYCLE } from '../accounts/transitions.ts';
import { LINKS } from '../links.ts';
import { chooseCredentials, logIn } from '../testing/portal-steps.ts';
import { type CountyTestApp, linksIn, startCountyTestApp, TestClient } from '../testing.ts';
import { REGISTRATION } from './transitions.ts';

const PASSWORD = 'correct horse battery';

/** Walks terms → steps 1–4 and returns the client (the application is submitted). */
async function apply(t: CountyTestApp, v: { username: string; email: string; mailbox: string }) {
  const c = new TestClient(t.app);
  await c.get('/cyc/register');
  expect((await c.post('/cyc/register/start', {})).headers.location).toBe('/cyc/register/credentials');
  await c.get('/cyc/register/credentials');
  const s1 = await chooseCredentials(c, v.username, PASSWORD);
  expect(s1.status, s1.body).toBe(303);
  await c.get('/cyc/register/email');
  expect((await c.post('/cyc/register/email', { email: v.email })).status).toBe(303);
  const terms = await c.get('/cyc/register/terms');
  const version = /name="version" value="(\d+)"/.exec(terms.body)?.[1] ?? '';
  expect((await c.post('/cyc/register/terms', { accept: 'yes', version })).status).toBe(303);
  await c.get('/cyc/register/unit');
  const s4 = await c.post('/cyc/register/unit', { mailbox: v.mailbox });
  expect(s4.status, s4.body).toBe(303);
  expect(s4.headers.location).toBe('/cyc/register/done');
  return c;
}

describe('registration, email verification and school review (HTTP)', () => {
  let t: CountyTestApp;
  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase);
  });
  afterAll(async () => t?.close());

  it('walks the how-to: apply, verify the email, the school approves by mail link, the teacher signs in', async () => {
    exercises(REGISTRATION, 'credentials', 'saveCredentials');
    exercises(REGISTRATION, 'email', 'saveEmail');
    exercises(REGISTRATION, 'terms', 'acceptTerms');
    exercises(REGISTRATION, 'unit', 'submit');
    exercises(ACCOUNT_LIFECYCLE, 'pending_email', 'verifyEmail');
    exercises(ACCOUNT_LIFECYCLE, 'pending_review', 'approve');
    const c = await apply(t, {
      username: 'chen.yiting',
      email: 'yiting@example.org',
      mailbox: 'PZJH@mail.cyc.edu.tw',
    });
    const done = await c.get('/cyc/register/done');
    expect(done.body).toContain('yiting@example.org');
    let account = await findAccountByUsername(t.county.db, 'cyc', 'chen.yiting');
    expect(account?.state).toBe('pending_email');
    expect(account?.terms_version).toBe('0');
    expect(account?.terms_accepted_at).toBeInstanceOf(Date);

    // Pending accounts cannot sign in; the message says why.
    const earlyClient = new TestClient(t.app);
    const early = await logIn(earlyClient, { username: 'chen.yiting', password: PASSWORD });
    expect(early.status).toBe(403);
    expect(early.body).toContain('您尚未完成電子郵件驗證');

    await t.drain();
    const verifyMail = t.lastMailTo('yiting@example.org');
    const verifyLink = linksIn(verifyMail?.text ?? '').find((l) => l.includes('/register/verify'));
    expect(verifyLink).toBeDefined();
    // The link's deadline is Taiwan time, with the zone (a mail is read anywhere).
    const deadline = /(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) \(UTC\+8\)/.exec(verifyMail?.text ?? '');
    expect(deadline).not.toBeNull();
    const expiresAt = Date.parse(`${deadline?.[1]}T${deadline?.[2]}+08:00`);
    expect(Math.abs(expiresAt - (Date.now() + LINKS.verifyEmail.ttlSeconds * 1000))).toBeLessThan(5 * 60_000);
    const confirm = await c.get(verifyLink as string);
    expect(confirm.status).toBe(200);
    const token = new URL(verifyLink as string).searchParams.get('token') ?? '';
    const verified = await c.post('/cyc/register/verify', { token });
    expect(verified.status).toBe(200);
    expect(verified.body).toContain('pzjh@mail.cyc.edu.tw');
    account = await findAccountByUsername(t.county.db, 'cyc', 'chen.yiting');
    expect(account?.state).toBe('pending_review');
    // The link works once.
    expect((await c.post('/cyc/register/verify', { token })).status).toBe(410);

    await t.drain();
    const reviewMail = t.lastMailTo('pzjh@mail.cyc.edu.tw');
    expect(reviewMail?.subject).toContain('chen.yiting');
    const approve = linksIn(reviewMail?.text ?? '').find((l) => l.includes('decision=approve')) as string;
    const reviewer = new TestClient(t.app, '192.0.2.50');
    const page = await reviewer.get(approve);
    expect(page.status).toBe(200);
    expect(page.body).toContain('yiting@example.org');
    const reviewToken = new URL(approve).searchParams.get('token') ?? '';
    const decided = await reviewer.post('/cyc/review/decide', { token: reviewToken, decision: 'approve' });
    expect(decided.status).toBe(200);
    // Deciding twice gives a clear page, not a second decision.
    const again = await reviewer.get(approve);
    expect(again.status).toBe(410);
    expect(again.body).toContain('此連結已使用過');
    account = await findAccountByUsername(t.county.db, 'cyc', 'chen.yiting');
    expect(account?.state).toBe('active');
    expect(account?.reviewed_by).toBe('mailbox:pzjh@mail.cyc.edu.tw');

    await t.drain();
    expect(t.lastMailTo('yiting@example.org')?.subject).toContain('已核准');

    const teacher = new TestClient(t.app, '192.0.2.60');
    const login = await logIn(teacher, { username: 'Chen.YiTing', password: PASSWORD, next: '/cyc/account' });
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/cyc/profile/check');
    const check = await teacher.get('/cyc/profile/check');
    expect(check.body).toContain('您尚未登錄姓名資料');
    expect(check.body).toContain('您目前的服務單位是【朴子國民中學】，是否正確？');

    const audit = await t.county.db
      .selectFrom('audit_log')
      .select('action')
      .where('target', '=', account?.id ?? '')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'registration.submitted',
      'login.refused',
      'registration.email_verified',
      'review.approved',
      'login.succeeded',
    ]);
  });

  it('rejects with a reason through the mail link and tells the applicant', async () => {
    exercises(ACCOUNT_LIFECYCLE, 'pending_review', 'reject');
    await apply(t, { username: 'lin.reject', email: 'reject@example.org', mailbox: 'tbjh@mail.cyc.edu.tw' });
    await t.drain();
    const c = new TestClient(t.app);
    const token =
      new URL(linksIn(t.lastMailTo('reject@example.org')?.text ?? '')[0] as string).searchParams.get(
        'token',
      ) ?? '';
    await c.get(`/cyc/register/verify?token=${token}`);
    await c.post('/cyc/register/verify', { token });
    await t.drain();
    const reject = linksIn(t.lastMailTo('tbjh@mail.cyc.edu.tw')?.text ?? '').find((l) =>
      l.includes('decision=reject'),
    ) as string;
    const reviewer = new TestClient(t.app);
    const form = await reviewer.get(reject);
    expect(form.body).toContain('name="reason"');
    const reviewToken = new URL(reject).searchParams.get('token') ?? '';
    const noReason = await reviewer.post('/cyc/review/decide', {
      token: reviewToken,
      decision: 'reject',
      reason: '',
    });
    expect(noReason.status).toBe(400);
    expect(noReason.body).toContain('不核准時請填寫原因');
    expect((await findAccountByUsername(t.county.db, 'cyc', 'lin.reject'))?.state).toBe('pending_review');
    const ok = await reviewer.post('/cyc/review/decide', {
      token: reviewToken,
      decision: 'reject',
      reason: '查無此人 <b>',
    });
    expect(ok.status).toBe(200);
    await t.drain();
    const outcome = t.lastMailTo('reject@example.org');
    expect(outcome?.text).toContain('查無此人 <b>');
    // The username is free again after a rejection.
    expect(await findAccountByUsername(t.county.db, 'cyc', 'lin.reject')).toBeUndefined();
  });

  it('keeps the steps in order and lands a double submit on the same result', async () => {
    exercises(REGISTRATION, 'terms', 'saveCredentials'); // back to step 1 after step 2
    const c = new TestClient(t.app);
    expect((await c.get('/cyc/register/email')).headers.location).toBe('/cyc/register');
    await c.get('/cyc/register');
    await c.post('/cyc/register/start', {});
    expect((await c.get('/cyc/register/unit')).headers.location).toBe('/cyc/register/credentials');
    await c.get('/cyc/register/credentials');
    await chooseCredentials(c, 'double.sub', PASSWORD);
    await c.get('/cyc/register/email');
    await c.post('/cyc/register/email', { email: 'double@example.org' });
    // Going back to step 1 keeps the progress and the password (left empty).
    const back = await c.get('/cyc/register/credentials');
    expect(back.body).toContain('value="double.sub"');
    expect(back.body).not.toContain(PASSWORD);
    expect((await chooseCredentials(c, 'double.sub2', '')).status).toBe(303);
    await c.get('/cyc/register/terms');
    await c.post('/cyc/register/terms', { accept: 'yes', version: '0' });
    await c.get('/cyc/register/unit');
    const csrf = c.csrf;
    const first = await c.post('/cyc/register/unit', { mailbox: 'dsjh@mail.cyc.edu.tw' });
    const second = await c.post('/cyc/register/unit', { _csrf: csrf, mailbox: 'dsjh@mail.cyc.edu.tw' });
    expect(first.headers.location).toBe('/cyc/register/done');
    expect(second.headers.location).toBe('/cyc/register/done');
    const rows = await t.county.db
      .selectFrom('county_accounts')
      .select('username')
      .where('email_normalized', '=', 'double@example.org')
      .execute();
    expect(rows.map((r) => r.username)).toEqual(['double.sub2']);
  });

  it("refuses a username with a school's mailbox abbreviation and a password of spaces", async () => {
    const c = new TestClient(t.app);
    await c.get('/cyc/register');
    await c.post('/cyc/register/start', {});
    await c.get('/cyc/register/credentials');
    // pzjh is 朴子國民中學's romanized abbreviation (its official mailbox pzjh@mail.cyc.edu.tw).
    const abbreviation = await chooseCredentials(c, 'pzjh.chen', PASSWORD);
    expect(abbreviation.status).toBe(400);
    expect(abbreviation.body).toContain('pzjh');
    const spaces = await chooseCredentials(c, 'chen.spaces', '        ');
    expect(spaces.status).toBe(400);
    expect(spaces.body).toContain('密碼不能只有空白');
  });

  it('removes an application whose email is never verified when the link expires', async () => {
    await apply(t, { username: 'never.verify', email: 'never@example.org', mailbox: 'bdjh@mail.cyc.edu.tw' });
    const account = await findAccountByUsername(t.county.db, 'cyc', 'never.verify');
    const job = await t.county.db
      .selectFrom('jobs')
      .selectAll()
      .where('idempotency_key', '=', `county.registration.expire:${account?.id}`)
      .executeTakeFirstOrThrow();
    // With the verification link (24 hours), not days later.
    expect(job.run_at.getTime()).toBeGreaterThan(Date.now() + 86400_000 - 60_000);
    expect(job.run_at.getTime()).toBeLessThan(Date.now() + 86400_000 + 5 * 60_000);
    await t.drain();
    expect(t.lastMailTo('never@example.org')?.text).toContain(
      '逾期未驗證，申請會被刪除，帳號名稱「never.verify」與這個電子郵件即可重新申請',
    );
    await t.county.db.updateTable('jobs').set({ run_at: new Date() }).where('id', '=', job.id).execute();
    await t.drain();
    expect(await findAccountByUsername(t.county.db, 'cyc', 'never.verify')).toBeUndefined();
    // The username and the email are free again.
    await apply(t, { username: 'never.verify', email: 'never@example.org', mailbox: 'bdjh@mail.cyc.edu.tw' });
  });

  it('schedules the review reminder after 3 days, with fresh links to the same mailbox', async () => {
    await apply(t, { username: 'slow.review', email: 'slow@example.org', mailbox: 'mhjh@mail.cyc.edu.tw' });
    await t.drain();
    const c = new TestClient(t.app);
    const token =
      new URL(linksIn(t.lastMailTo('slow@example.org')?.text ?? '')[0] as string).searchParams.get('token') ??
      '';
    await c.get(`/cyc/register/verify?token=${token}`);
    await c.post('/cyc/register/verify', { token });
    await t.drain();
    const before = t.sent.filter((m) => m.to === 'mhjh@mail.cyc.edu.tw').length;
    const account = await findAccountByUsername(t.county.db, 'cyc', 'slow.review');
    const job = await t.county.db
      .selectFrom('jobs')
      .selectAll()
      .where('idempotency_key', '=', `county.review.reminder:${account?.id}`)
      .executeTakeFirstOrThrow();
    expect(job.run_at.getTime() - Date.now()).toBeGreaterThan(3 * 86400_000 - 60_000);
    await t.county.db.updateTable('jobs').set({ run_at: new Date() }).where('id', '=', job.id).execute();
    await t.drain();
    const mails = t.sent.filter((m) => m.to === 'mhjh@mail.cyc.edu.tw');
    expect(mails.length).toBe(before + 1);
    expect(mails.at(-1)?.subject).toContain('提醒');
    const approve = linksIn(mails.at(-1)?.text ?? '').find((l) => l.includes('decision=approve')) as string;
    expect((await new TestClient(t.app).get(approve)).status).toBe(200);
  });
});
