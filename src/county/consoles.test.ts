// Profile check, account settings, the review console and the county administration console.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../platform/federation/seed-data.ts';
import { SIGN_IN_BUDGETS } from '../platform/security/sign-in-guard.ts';
import { embeddedTestDatabase } from '../platform/testing/databases.ts';
import { exercises } from '../platform/testing/flow-coverage.ts';
import { findAccountByUsername, insertAccount } from './accounts/repository.ts';
import { ACCOUNT_LIFECYCLE } from './accounts/transitions.ts';
import { CAMPAIGN } from './campaigns/transitions.ts';
import { changePassword, enterName } from './testing/portal-steps.ts';
import { type CountyTestApp, linksIn, startCountyTestApp, TestClient } from './testing.ts';
import { TRANSFER } from './transfer/transitions.ts';

describe('county consoles', () => {
  let t: CountyTestApp;
  let hash: string;

  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase);
    hash = await t.county.hasher.hash(DEMO_PASSWORD);
  });
  afterAll(async () => t?.close());

  it('profile check: name, national ID (checksum, one per person, encrypted + masked), unit confirmation', async () => {
    await t.newTeacher('profile.t');
    const c = await t.signIn('profile.t');
    await c.get('/cyc/profile/name');
    expect((await enterName(c, '<b>王</b>')).body).toContain('姓名只能包含文字');
    // A 姓/名 that contradicts the real name is refused; nothing is saved.
    const mismatch = await enterName(c, '歐陽娜娜', { family: '王', given: '娜娜' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('姓、名與真實姓名不符');
    // Without a 姓/名, the two-character surname is recognised.
    expect((await enterName(c, '歐陽娜娜')).status).toBe(303);
    let a = await findAccountByUsername(t.county.db, 'cyc', 'profile.t');
    expect([a?.real_name, a?.family_name, a?.given_name]).toEqual(['歐陽娜娜', '歐陽', '娜娜']);

    await c.get('/cyc/profile/national-id');
    const bad = await c.post('/cyc/profile/national-id', { national_id: 'A123456788' });
    expect(bad.body).toContain('檢查碼不正確');
    expect(bad.body).not.toContain('A123456788');
    expect((await c.post('/cyc/profile/national-id', { national_id: 'A800000014' })).status).toBe(303);
    a = await findAccountByUsername(t.county.db, 'cyc', 'profile.t');
    expect(a?.national_id_encrypted).toBeNull();
    expect(a?.national_id_submitted_encrypted).not.toContain('A800000014');
    expect((await c.get('/cyc/profile/check')).body).toContain('身分證號 A8******14 已送出');
    // While it waits, another number is not taken.
    expect((await c.post('/cyc/profile/national-id', { national_id: 'A123456789' })).body).toContain(
      '正等待學校審核人員確認',
    );
    // The school's reviewer checks the document and records it.
    const reviewer = await t.signIn('rv-pzjh');
    await reviewer.get('/cyc/review');
    expect(
      (await reviewer.post(`/cyc/review/accounts/${a?.id}/national-id/confirm`, { unit: '454503' })).status,
    ).toBe(303);
    a = await findAccountByUsername(t.county.db, 'cyc', 'profile.t');
    expect(a?.national_id_encrypted).not.toContain('A800000014');
    expect(a?.national_id_blind_index).toMatch(/^[0-9a-f]{64}$/);
    expect(await t.county.vault.decrypt(a?.national_id_encrypted ?? '')).toBe('A800000014');
    // Set once: a second number is refused.
    expect((await c.post('/cyc/profile/national-id', { national_id: 'A123456789' })).body).toContain(
      '已登錄',
    );

    let check = await c.get('/cyc/profile/check');
    expect(check.body).toContain('A8******14');
    expect(check.body).toContain('您目前的服務單位是【朴子國民中學】，是否正確？');
    await c.post('/cyc/profile/unit/confirm', {});
    check = await c.get('/cyc/profile/check');
    expect(check.body).toContain('您的基本資料已完整');
    const logged = JSON.stringify(await t.county.db.selectFrom('audit_log').selectAll().execute());
    expect(logged).not.toContain('A800000014');
  });

  it('transfer: requested by the teacher, approved by the receiving unit’s reviewer only', async () => {
    exercises(TRANSFER, 'pending', 'approve');
    await t.newTeacher('mover.t');
    const c = await t.signIn('mover.t');
    await c.get('/cyc/profile/unit/change?q=太保國民中學');
    await c.post('/cyc/profile/unit/change', { unit: '454501' });
    expect((await c.get('/cyc/profile/check')).body).toContain('服務單位變更申請中：太保國民中學');
    await t.drain();
    expect(t.lastMailTo('tbjh@mail.cyc.edu.tw')?.subject).toContain('mover.t');

    // The old unit's reviewer cannot approve it.
    const wrong = await t.signIn('rv-pzjh', { ip: '203.0.113.21' });
    const request = await t.county.db
      .selectFrom('county_transfer_requests')
      .selectAll()
      .where('state', '=', 'pending')
      .executeTakeFirstOrThrow();
    await wrong.get('/cyc/review');
    expect((await wrong.post(`/cyc/review/transfers/${request.id}`, { decision: 'approve' })).status).toBe(
      403,
    );

    const right = await t.signIn('rv-tbjh', { ip: '203.0.113.22' });
    const console = await right.get('/cyc/review');
    expect(console.body).toContain('mover.t');
    expect((await right.post(`/cyc/review/transfers/${request.id}`, { decision: 'approve' })).status).toBe(
      303,
    );
    const a = await findAccountByUsername(t.county.db, 'cyc', 'mover.t');
    expect(a?.unit_code).toBe('454501');
    expect(a?.unit_confirmed_at).toBeInstanceOf(Date);
    expect((await right.post(`/cyc/review/transfers/${request.id}`, { decision: 'reject' })).status).toBe(
      409,
    );
  });

  it('review console shows only the reviewer’s unit and decides applications there', async () => {
    const other = await insertAccount(t.county.db, {
      tenant: 'cyc',
      username: 'apply.tb',
      passwordHash: hash,
      email: 'apply.tb@example.org',
      role: 'teacher',
      state: 'pending_review',
      unitCode: '454501',
    });
    const mine = await insertAccount(t.county.db, {
      tenant: 'cyc',
      username: 'apply.pz',
      passwordHash: hash,
      email: 'apply.pz@example.org',
      role: 'teacher',
      state: 'pending_review',
      unitCode: '454503',
    });
    const c = await t.signIn('rv-pzjh', { ip: '203.0.113.23' });
    const page = await c.get('/cyc/review?unit=454501');
    expect(page.body).toContain('apply.pz');
    expect(page.body).not.toContain('apply.tb');
    expect(page.body).toContain('teacher01');
    expect((await c.post(`/cyc/review/applications/${other.id}`, { decision: 'approve' })).status).toBe(403);
    // A reject without its reason: back to the console, the reason field marked, nothing decided.
    const unreasoned = await c.post(`/cyc/review/applications/${mine.id}`, {
      decision: 'reject',
      reason: '',
      unit: '454503',
    });
    expect(unreasoned.status).toBe(303);
    const marked = await c.get(unreasoned.headers.location as string);
    expect(marked.status).toBe(200);
    expect(marked.body).toContain(`id="reason-${mine.id}-error"`);
    expect(marked.body).toContain('請填寫原因');
    expect(marked.body).toContain('aria-invalid="true"');
    expect((await findAccountByUsername(t.county.db, 'cyc', 'apply.pz'))?.state).toBe('pending_review');
    expect((await c.post(`/cyc/review/applications/${mine.id}`, { decision: 'approve' })).status).toBe(303);
    expect((await findAccountByUsername(t.county.db, 'cyc', 'apply.pz'))?.state).toBe('active');
    // Teachers have no console.
    const teacher = await t.signIn('teacher01', { ip: '203.0.113.24' });
    expect((await teacher.get('/cyc/review')).status).toBe(403);
    expect((await teacher.get('/cyc/manage')).status).toBe(403);
    expect((await new TestClient(t.app).get('/cyc/manage')).headers.location).toBe(
      '/cyc/login?next=%2Fcyc%2Fmanage',
    );
  });

  it('change password ends the other sessions; the sessions page signs a device out', async () => {
    await t.newTeacher('pw.change');
    const phone = await t.signIn('pw.change', { ip: '203.0.113.30' });
    const laptop = await t.signIn('pw.change', { ip: '203.0.113.31' });
    const sessions = await laptop.get('/cyc/account/sessions');
    expect(sessions.body).toContain('203.0.113.30');
    expect(sessions.body).toContain('目前使用中的裝置');
    await laptop.get('/cyc/account/password');
    expect((await changePassword(laptop, 'wrong', 'new long passphrase')).body).toContain('目前的密碼不正確');
    // The current password again is no change; eight spaces are no password.
    const same = await changePassword(laptop, DEMO_PASSWORD, DEMO_PASSWORD);
    expect(same.status).toBe(400);
    expect(same.body).toContain('新密碼必須與目前的密碼不同');
    const blank = await changePassword(laptop, DEMO_PASSWORD, '        ');
    expect(blank.body).toContain('密碼不能只有空白');
    expect((await changePassword(laptop, DEMO_PASSWORD, 'new long passphrase')).status).toBe(200);
    expect((await phone.get('/cyc/account')).headers.location).toContain('/cyc/login');
    expect((await laptop.get('/cyc/account')).status).toBe(200);
    await t.signIn('pw.change', { password: 'new long passphrase', ip: '203.0.113.32' });
    const list = await laptop.get('/cyc/account/sessions');
    const other = /\/cyc\/account\/sessions\/([^/]+)\/revoke/.exec(list.body)?.[1];
    expect(other).toBeDefined();
    expect((await laptop.post(`/cyc/account/sessions/${other}/revoke`, {})).status).toBe(303);
    expect((await laptop.post('/cyc/account/sessions/not-mine/revoke', {})).status).toBe(404);
  });

  it('the sessions page signs every other device out at once, and the audit log counts them', async () => {
    await t.newTeacher('sessions.all');
    const phone = await t.signIn('sessions.all', { ip: '203.0.113.33' });
    const tablet = await t.signIn('sessions.all', { ip: '203.0.113.34' });
    const laptop = await t.signIn('sessions.all', { ip: '203.0.113.35' });
    await laptop.get('/cyc/account/sessions');
    expect((await laptop.post('/cyc/account/sessions/revoke-others', {})).headers.location).toBe(
      '/cyc/account/sessions',
    );
    expect((await phone.get('/cyc/account')).headers.location).toContain('/cyc/login');
    expect((await tablet.get('/cyc/account')).headers.location).toContain('/cyc/login');
    const list = await laptop.get('/cyc/account/sessions');
    expect(list.status).toBe(200);
    expect(list.body).toContain('203.0.113.35');
    expect(list.body).not.toContain('203.0.113.33');
    expect(list.body).not.toMatch(/\/cyc\/account\/sessions\/[^/"]+\/revoke/);
    const account = await findAccountByUsername(t.county.db, 'cyc', 'sessions.all');
    const audited = await t.county.db
      .selectFrom('audit_log')
      .select(['actor', 'details'])
      .where('action', '=', 'session.revoked')
      .where('target', '=', String(account?.id))
      .execute();
    expect(audited).toEqual([{ actor: 'sessions.all', details: { count: 2 } }]);
  });

  it('changes the personal email once the new address confirms it, and tells the old one', async () => {
    await t.newTeacher('mail.change');
    await t.newTeacher('mail.other');
    const c = await t.signIn('mail.change', { ip: '203.0.113.40' });
    expect((await c.get('/cyc/account')).body).toContain('/cyc/account/email');
    // Its times are Taiwan time; in English the page says so.
    expect((await c.get('/cyc/account?lang=en')).body).toContain(
      'Times on this page are Taiwan time (UTC+8).',
    );
    expect((await c.get('/cyc/account?lang=zh-TW')).body).not.toContain('time-zone-note');
    await c.get('/cyc/account/email');
    const wrong = await c.post('/cyc/account/email', {
      email: 'new.me@example.org',
      current_password: 'nope',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('目前的密碼不正確');
    const taken = await c.post('/cyc/account/email', {
      email: 'mail.other@example.org',
      current_password: DEMO_PASSWORD,
    });
    expect(taken.status).toBe(400);
    const official = await c.post('/cyc/account/email', {
      email: 'pzjh@mail.cyc.edu.tw',
      current_password: DEMO_PASSWORD,
    });
    expect(official.body).toContain('不要使用學校的公務信箱');
    const sent = await c.post('/cyc/account/email', {
      email: 'new.me@example.org',
      current_password: DEMO_PASSWORD,
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toContain('確認信已寄到 new.me@example.org');
    // Until confirmed, the account keeps its address.
    expect((await findAccountByUsername(t.county.db, 'cyc', 'mail.change'))?.email).toBe(
      'mail.change@example.org',
    );
    await t.drain();
    const link = linksIn(t.lastMailTo('new.me@example.org')?.text ?? '').find((l) =>
      l.includes('/account/email/confirm'),
    ) as string;
    expect(link).toBeDefined();
    // Opened in the mail program: no session needed; the page asks before changing anything.
    const mailer = new TestClient(t.app, '203.0.113.41');
    const confirm = await mailer.get(link);
    expect(confirm.body).toContain('要將您的個人Email變更為 new.me@example.org 嗎？');
    const token = new URL(link).searchParams.get('token') ?? '';
    const done = await mailer.post('/cyc/account/email/confirm', { token });
    expect(done.status).toBe(200);
    expect(done.body).toContain('您的個人Email已變更為 new.me@example.org');
    expect((await findAccountByUsername(t.county.db, 'cyc', 'mail.change'))?.email).toBe(
      'new.me@example.org',
    );
    await t.drain();
    expect(t.lastMailTo('mail.change@example.org')?.subject).toContain('您的個人Email已變更');
    // The link works once.
    expect((await mailer.post('/cyc/account/email/confirm', { token })).status).toBe(410);
  });

  it('reset password by the mailed link: once, then the old links stop working', async () => {
    await t.newTeacher('pw.reset');
    const c = new TestClient(t.app);
    await c.get('/cyc/forgot');
    await c.post('/cyc/forgot', { identifier: 'pw.reset@example.org' });
    await c.post('/cyc/forgot', { identifier: 'pw.reset' });
    await t.drain();
    const mails = t.sent.filter((m) => m.to === 'pw.reset@example.org');
    const [first, second] = mails.map(
      (m) => linksIn(m.text).find((l) => l.includes('/reset?token=')) as string,
    );
    const page = await c.get(first as string);
    expect(page.status).toBe(200);
    const token = new URL(first as string).searchParams.get('token') ?? '';
    expect((await c.post('/cyc/reset', { token, password: 'short', password_confirm: 'short' })).status).toBe(
      400,
    );
    expect(
      (
        await c.post('/cyc/reset', {
          token,
          password: 'brand new passphrase',
          password_confirm: 'brand new passphrase',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await c.post('/cyc/reset', {
          token,
          password: 'another new passphrase',
          password_confirm: 'another new passphrase',
        })
      ).status,
    ).toBe(410);
    expect((await c.get(second as string)).status).toBe(410);
    await t.signIn('pw.reset', { password: 'brand new passphrase', ip: '203.0.113.40' });
  });

  it('spends an account’s budget for unknown browsers, and gives it back when its window ends', async () => {
    await t.newTeacher('slow.down');
    // Guesses made elsewhere left the account one failure short of its budget.
    const store = t.county.ctx.throttleStore('county');
    for (let i = 0; i < SIGN_IN_BUDGETS.account - 1; i++)
      await store.take(['acct:cyc:slow.down'], SIGN_IN_BUDGETS.windowSeconds);
    const c = new TestClient(t.app, '203.0.113.50');
    await c.get('/cyc/login');
    expect((await c.post('/cyc/login', { username: 'slow.down', password: 'wrong-1' })).status).toBe(401);
    const blocked = await c.post('/cyc/login', { username: 'slow.down', password: DEMO_PASSWORD });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(3000);
    // The window ends: the failures only count within it, and the account is open again.
    await t.county.db
      .updateTable('throttle')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('key', '=', 'county:acct:cyc:slow.down')
      .execute();
    expect((await c.post('/cyc/login', { username: 'slow.down', password: DEMO_PASSWORD })).status).toBe(303);
  });

  it('admin: units, reviewers, account lifecycle with notices, announcements, audit log', async () => {
    exercises(ACCOUNT_LIFECYCLE, 'active', 'suspend');
    exercises(ACCOUNT_LIFECYCLE, 'suspended', 'reactivate');
    exercises(ACCOUNT_LIFECYCLE, 'active', 'depart');
    const admin = await t.signIn('cycadmin', { ip: '203.0.113.60' });
    await admin.get('/cyc/manage/units');
    expect(
      (await admin.post('/cyc/manage/units', { code: '12', name: '', mailbox: 'x@gmail.com' })).status,
    ).toBe(400);
    expect(
      (
        await admin.post('/cyc/manage/units', {
          code: '454700',
          name: '新港國民小學',
          abbreviation: '新港國小',
          mailbox: 'skes@mail.cyc.edu.tw',
        })
      ).status,
    ).toBe(303);
    const csv = await admin.get('/cyc/manage/units.csv');
    expect(csv.body).toContain('454700,新港國民小學,新港國小,skes@mail.cyc.edu.tw,yes');
    const bad = await admin.post('/cyc/manage/units/import', {
      csv: 'code,name,mailbox\n454701,A,a@mail.cyc.edu.tw\n1,B,b@gmail.com',
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('第 3 列');
    expect(
      await t.county.db
        .selectFrom('county_units')
        .select('code')
        .where('code', '=', '454701')
        .executeTakeFirst(),
    ).toBeUndefined();
    expect(
      (
        await admin.post('/cyc/manage/units/import', {
          csv: 'code,name,abbreviation,mailbox\n454701,"溪口國民小學",溪口國小,kkes@mail.cyc.edu.tw',
        })
      ).status,
    ).toBe(200);

    await admin.get('/cyc/manage/reviewers');
    expect(
      (
        await admin.post('/cyc/manage/reviewers', {
          username: 'rv.skes',
          email: 'skes@mail.cyc.edu.tw',
          unit: '454700',
        })
      ).status,
    ).toBe(200);
    await t.drain();
    expect(
      linksIn(t.lastMailTo('skes@mail.cyc.edu.tw')?.text ?? '').some((l) => l.includes('/reset?token=')),
    ).toBe(true);

    const target = await t.newTeacher('life.cycle');
    await admin.get(`/cyc/manage/accounts/${target.id}`);
    expect((await admin.post(`/cyc/manage/accounts/${target.id}/suspend`, { reason: '' })).status).toBe(400);
    expect(
      (await admin.post(`/cyc/manage/accounts/${target.id}/suspend`, { reason: '帳號疑遭盜用' })).status,
    ).toBe(303);
    await t.drain();
    expect(t.lastMailTo('pzjh@mail.cyc.edu.tw')?.text).toContain('帳號疑遭盜用');
    expect((await admin.post(`/cyc/manage/accounts/${target.id}/suspend`, { reason: 'again' })).status).toBe(
      409,
    );
    expect(
      (await admin.post(`/cyc/manage/accounts/${target.id}/reactivate`, { reason: '已確認' })).status,
    ).toBe(303);
    expect((await admin.post(`/cyc/manage/accounts/${target.id}/transfer`, { unit: '454700' })).status).toBe(
      303,
    );
    expect((await admin.post(`/cyc/manage/accounts/${target.id}/depart`, { reason: '退休' })).status).toBe(
      303,
    );
    const departed = await findAccountByUsername(t.county.db, 'cyc', 'life.cycle');
    expect([departed?.state, departed?.unit_code]).toEqual(['departed', '454700']);
    const view = await admin.get(`/cyc/manage/accounts/${target.id}`);
    // Its history names the event in words, never by its code.
    expect(view.body).toContain('註銷帳號');
    expect(view.body).not.toContain('account.departed');

    const search = await admin.get('/cyc/manage/accounts?q=teacher01');
    expect(search.body).toContain('teacher01');
    const teacherView = await admin.get('/cyc/manage/accounts/6f1c1a52-0c7e-4d8e-9a51-1b2f3c4d5e11');
    expect(teacherView.body).toContain('A1******34');
    expect(teacherView.body).not.toContain('A128765434');

    await admin.get('/cyc/manage/announcements');
    expect(
      (
        await admin.post('/cyc/manage/announcements', {
          title: '停機公告',
          body: '**週六**停機 <script>alert(1)</script> [x](javascript:alert(1))',
        })
      ).status,
    ).toBe(303);
    const home = await new TestClient(t.app).get('/cyc');
    expect(home.body).toContain('<strong>週六</strong>停機');
    expect(home.body).not.toContain('<script>alert(1)');
    expect(home.body).not.toContain('javascript:');

    const log = await admin.get('/cyc/manage/audit?action=account.');
    expect(log.body).toContain('停用帳號');
    expect(log.body).not.toContain('登入成功');
    expect(log.body).not.toContain('account.suspended');
    const csvLog = await admin.get('/cyc/manage/audit.csv?actor=cycadmin');
    expect(csvLog.headers['content-type']).toContain('text/csv');
    expect(csvLog.body).toContain('unit.created');
  });

  it('terms edits make a new version that applicants accept', async () => {
    const admin = await t.signIn('cycadmin', { ip: '203.0.113.61' });
    const page = await admin.get('/cyc/manage/pages/terms');
    expect(page.body).toContain('name="version" value="0"');
    expect(
      (await admin.post('/cyc/manage/pages/terms', { version: '0', title: '註冊條款', body: '新條款' }))
        .status,
    ).toBe(303);
    expect(
      (await admin.post('/cyc/manage/pages/terms', { version: '0', title: '註冊條款', body: '舊頁面覆寫' }))
        .status,
    ).toBe(409);
    const c = new TestClient(t.app);
    await c.get('/cyc/register');
    await c.post('/cyc/register/start', {});
    await c.post('/cyc/register/credentials', {
      username: 'terms.v1',
      password: 'a long passphrase',
      password_confirm: 'a long passphrase',
    });
    await c.post('/cyc/register/email', { email: 'terms.v1@example.org' });
    const terms = await c.get('/cyc/register/terms');
    expect(terms.body).toContain('新條款');
    expect((await c.post('/cyc/register/terms', { accept: 'yes', version: '1' })).status).toBe(303);
    await c.post('/cyc/register/unit', { mailbox: 'pzjh@mail.cyc.edu.tw' });
    expect((await findAccountByUsername(t.county.db, 'cyc', 'terms.v1'))?.terms_version).toBe('1');
  });

  it('audit campaign: confirm and flag, suspend the unconfirmed at the deadline, undo', async () => {
    exercises(CAMPAIGN, 'open', 'decide');
    exercises(CAMPAIGN, 'open', 'close'); // the deadline's job
    exercises(CAMPAIGN, 'closed', 'undo');
    const keep = await t.newTeacher('camp.keep', { unitCode: '454504' });
    await t.newTeacher('camp.miss', { unitCode: '454504' });
    const admin = await t.signIn('cycadmin', { ip: '203.0.113.62' });
    await admin.get('/cyc/manage/campaigns');
    expect(
      (await admin.post('/cyc/manage/campaigns', { title: '113學年度清查', deadline: '2000-01-01T00:00' }))
        .status,
    ).toBe(400);
    const opened = await admin.post('/cyc/manage/campaigns', {
      title: '113學年度清查',
      deadline: '2099-01-01T00:00',
    });
    expect(opened.status).toBe(303);
    const campaignId = String(opened.headers.location).split('/').pop() as string;
    await t.drain();
    expect(t.lastMailTo('dsjh@mail.cyc.edu.tw')?.subject).toContain('113學年度清查');

    const reviewer = await t.signIn('rv-dsjh', { ip: '203.0.113.63' });
    const page = await reviewer.get('/cyc/review');
    expect(page.body).toContain('camp.keep');
    expect(
      (
        await reviewer.post(`/cyc/review/campaigns/${campaignId}/accounts/${keep.id}`, {
          decision: 'confirmed',
        })
      ).status,
    ).toBe(303);
    // A reviewer confirms only their own unit's staff.
    expect(
      (
        await reviewer.post(
          `/cyc/review/campaigns/${campaignId}/accounts/6f1c1a52-0c7e-4d8e-9a51-1b2f3c4d5e11`,
          { decision: 'confirmed' },
        )
      ).status,
    ).toBe(403);

    const job = await t.county.db
      .selectFrom('jobs')
      .selectAll()
      .where('idempotency_key', '=', `county.campaign.deadline:${campaignId}`)
      .executeTakeFirstOrThrow();
    expect(job.run_at.toISOString()).toBe('2098-12-31T16:00:00.000Z');
    await t.county.db.updateTable('jobs').set({ run_at: new Date() }).where('id', '=', job.id).execute();
    await t.drain();
    expect((await findAccountByUsername(t.county.db, 'cyc', 'camp.keep'))?.state).toBe('active');
    const missed = await findAccountByUsername(t.county.db, 'cyc', 'camp.miss');
    expect(missed?.state).toBe('suspended');
    expect(missed?.suspended_by_campaign).toBe(campaignId);
    expect((await findAccountByUsername(t.county.db, 'cyc', 'cycadmin'))?.state).toBe('active');
    expect(t.lastMailTo('dsjh@mail.cyc.edu.tw')?.text).toContain('camp.miss');
    // The account page says why in the reader's language; the campaign's title is data.
    const why = '<span translate="no">113學年度清查</span>';
    expect((await admin.get(`/cyc/manage/accounts/${missed?.id}?lang=zh-TW`)).body).toContain(
      `清查未確認：${why}`,
    );
    expect((await admin.get(`/cyc/manage/accounts/${missed?.id}?lang=en`)).body).toContain(
      `not confirmed in the account review ${why}`,
    );

    await admin.get(`/cyc/manage/campaigns/${campaignId}`);
    expect((await admin.post(`/cyc/manage/campaigns/${campaignId}/undo`, {})).status).toBe(303);
    expect((await findAccountByUsername(t.county.db, 'cyc', 'camp.miss'))?.state).toBe('active');
  });

  it('audit campaign: undone only once closed, and decided only while open', async () => {
    const staff = await t.newTeacher('camp.order', { unitCode: '454504' });
    const admin = await t.signIn('cycadmin', { ip: '203.0.113.64' });
    await admin.get('/cyc/manage/campaigns');
    const opened = await admin.post('/cyc/manage/campaigns', {
      title: '清查順序',
      deadline: '2099-01-01T00:00',
    });
    const campaignId = String(opened.headers.location).split('/').pop() as string;
    const page = await admin.get(`/cyc/manage/campaigns/${campaignId}`);
    expect(page.body).toContain(`/cyc/manage/campaigns/${campaignId}/close`);
    expect(page.body).not.toContain(`/cyc/manage/campaigns/${campaignId}/undo`);
    expect((await admin.post(`/cyc/manage/campaigns/${campaignId}/undo`, {})).status).toBe(409);
    expect((await admin.post(`/cyc/manage/campaigns/${campaignId}/close`, {})).status).toBe(303);
    expect((await findAccountByUsername(t.county.db, 'cyc', 'camp.order'))?.state).toBe('suspended');

    // A decision that comes after the close (the county administrator's, as the reviewer's own
    // account was suspended with the rest) changes nothing.
    await admin.get('/cyc/review');
    const late = await admin.post(`/cyc/review/campaigns/${campaignId}/accounts/${staff.id}`, {
      decision: 'confirmed',
    });
    expect(late.status).toBe(409);
    await admin.get(`/cyc/manage/campaigns/${campaignId}`);
    expect((await admin.post(`/cyc/manage/campaigns/${campaignId}/undo`, {})).status).toBe(303);
    expect((await findAccountByUsername(t.county.db, 'cyc', 'camp.order'))?.state).toBe('active');
  });
});
