// A teacher's request to move to another unit, decided from the receiving unit's official mailbox
// through the same signed one-time links and pages as a registration's school review, with the same
// reminder after 3 days while it waits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../platform/federation/seed-data.ts';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { exercises } from '../../platform/testing/flow-coverage.ts';
import { findAccountByUsername, insertAccount } from '../accounts/repository.ts';
import { type CountyTestApp, linksIn, startCountyTestApp, TestClient } from '../testing.ts';
import { TRANSFER } from '../transfer/transitions.ts';

const TO_MAILBOX = 'tbjh@mail.cyc.edu.tw'; // 太保國民中學 (454501)

describe('transfer requests decided through the mailed links', () => {
  let t: CountyTestApp;
  let hash: string;
  let ip = 10;

  const signIn = async (username: string) => {
    const c = new TestClient(t.app, `203.0.113.${ip++}`);
    await c.get('/cyc/login');
    const r = await c.post('/cyc/login', { username, password: DEMO_PASSWORD });
    expect(r.status, `${username}: ${r.body.slice(0, 200)}`).toBe(303);
    return c;
  };

  /** A teacher of 朴子國民中學 asks to move to 太保國民中學; returns the mailed links. */
  const requestMove = async (username: string) => {
    await insertAccount(t.county.db, {
      tenant: 'cyc',
      username,
      passwordHash: hash,
      email: `${username}@example.org`,
      role: 'teacher',
      state: 'active',
      unitCode: '454503',
      realName: '林老師',
    });
    const teacher = await signIn(username);
    await teacher.get('/cyc/profile/unit/change?q=太保國民中學');
    expect((await teacher.post('/cyc/profile/unit/change', { unit: '454501' })).status).toBe(303);
    await t.drain();
    const mail = t.lastMailTo(TO_MAILBOX);
    expect(mail?.subject).toContain(username);
    const links = linksIn(mail?.text ?? '');
    const approve = links.find(
      (l) => l.includes('/review/transfers/decide') && l.includes('decision=approve'),
    );
    const reject = links.find((l) => l.includes('/review/transfers/decide') && l.includes('decision=reject'));
    expect(approve).toBeDefined();
    expect(reject).toBeDefined();
    const token = new URL(approve as string).searchParams.get('token') ?? '';
    return { teacher, approve: approve as string, reject: reject as string, token };
  };
  const requestOf = async (username: string) => {
    const account = await findAccountByUsername(t.county.db, 'cyc', username);
    return t.county.db
      .selectFrom('county_transfer_requests')
      .selectAll()
      .where('account_id', '=', account?.id ?? '')
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
  };
  const auditOf = async (username: string, action: string) => {
    const account = await findAccountByUsername(t.county.db, 'cyc', username);
    return t.county.db
      .selectFrom('audit_log')
      .select(['actor', 'details'])
      .where('action', '=', action)
      .where('target', '=', account?.id ?? '')
      .execute();
  };

  /** The mailbox rejects the request through its link's form, with `reason`. */
  const rejectByLink = (mailbox: TestClient, token: string, reason: string) =>
    mailbox.post('/cyc/review/transfers/decide', { token, decision: 'reject', reason });
  const mailsTo = (to: string) => t.sent.filter((m) => m.to === to);
  /** Runs the request's reminder job now, as if 3 days had passed; returns the mails it sent the unit. */
  const runReminder = async (requestId: string) => {
    const job = await t.county.db
      .selectFrom('jobs')
      .selectAll()
      .where('idempotency_key', '=', `county.transfer.reminder:${requestId}`)
      .executeTakeFirstOrThrow();
    expect(job.run_at.getTime() - Date.now()).toBeGreaterThan(3 * 86400_000 - 60_000);
    const before = mailsTo(TO_MAILBOX).length;
    await t.county.db.updateTable('jobs').set({ run_at: new Date() }).where('id', '=', job.id).execute();
    await t.drain();
    expect(
      (
        await t.county.db
          .selectFrom('jobs')
          .select('state')
          .where('id', '=', job.id)
          .executeTakeFirstOrThrow()
      ).state,
    ).toBe('done');
    return mailsTo(TO_MAILBOX).slice(before);
  };
  const expiryIn = (text: string) => /連結在 (.+?) 前有效/.exec(text)?.[1];

  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase);
    hash = await t.county.hasher.hash(DEMO_PASSWORD);
  });
  afterAll(async () => t?.close());

  it('approve through the link moves the account; a second use gives the clear page', async () => {
    exercises(TRANSFER, 'pending', 'approve');
    const { approve, reject, token } = await requestMove('move.link');
    expect(t.lastMailTo(TO_MAILBOX)?.text).toContain('朴子國民中學');

    const mailbox = new TestClient(t.app, '192.0.2.80');
    const page = await mailbox.get(approve);
    expect(page.status).toBe(200);
    expect(page.body).toContain('服務單位變更審核');
    expect(page.body).toContain('move.link');
    expect(page.body).toContain('朴子國民中學');
    expect(page.body).toContain('太保國民中學');
    const done = await mailbox.post('/cyc/review/transfers/decide', { token, decision: 'approve' });
    expect(done.status).toBe(200);
    expect(done.body).toContain('已核准 move.link 調入貴單位');

    const account = await findAccountByUsername(t.county.db, 'cyc', 'move.link');
    expect(account?.unit_code).toBe('454501');
    expect(account?.unit_confirmed_at).toBeInstanceOf(Date);
    expect((await requestOf('move.link')).state).toBe('approved');
    const [entry] = await auditOf('move.link', 'transfer.approved');
    expect(entry?.actor).toBe(`mailbox:${TO_MAILBOX}`);
    expect(entry?.details).toMatchObject({ from: '454503', to: '454501', unit: '454501', via: 'link' });
    await t.drain();
    expect(t.lastMailTo('move.link@example.org')?.subject).toContain('服務單位變更已核准');

    // Deciding twice: the same page as a registration's review link used twice.
    for (const link of [approve, reject]) {
      const again = await mailbox.get(link);
      expect(again.status).toBe(410);
      expect(again.body).toContain('此連結已使用過');
    }
    const replay = await mailbox.post('/cyc/review/transfers/decide', { token, decision: 'approve' });
    expect(replay.status).toBe(410);
    expect(await auditOf('move.link', 'transfer.approved')).toHaveLength(1);
  });

  it('reject through the link asks for a reason and mails it to the teacher', async () => {
    exercises(TRANSFER, 'pending', 'reject');
    const { reject, token } = await requestMove('move.reject');
    const mailbox = new TestClient(t.app, '192.0.2.81');
    const form = await mailbox.get(reject);
    expect(form.status).toBe(200);
    expect(form.body).toContain('name="reason"');
    const noReason = await rejectByLink(mailbox, token, '');
    expect(noReason.status).toBe(400);
    expect(noReason.body).toContain('不核准時請填寫原因');
    expect((await requestOf('move.reject')).state).toBe('pending');

    const done = await rejectByLink(mailbox, token, '本校查無此人 <b>');
    expect(done.status).toBe(200);
    expect(done.body).toContain('已不核准 move.reject 的調入申請');
    const request = await requestOf('move.reject');
    expect([request.state, request.reason, request.decided_by]).toEqual([
      'rejected',
      '本校查無此人 <b>',
      `mailbox:${TO_MAILBOX}`,
    ]);
    expect((await findAccountByUsername(t.county.db, 'cyc', 'move.reject'))?.unit_code).toBe('454503');
    const [entry] = await auditOf('move.reject', 'transfer.rejected');
    expect(entry?.details).toMatchObject({ via: 'link', reason: '本校查無此人 <b>' });
    await t.drain();
    const outcome = t.lastMailTo('move.reject@example.org');
    expect(outcome?.subject).toContain('服務單位變更未獲核准');
    expect(outcome?.text).toContain('本校查無此人 <b>');
  });

  it('refuses tampered, foreign, misdirected and expired links with the registration’s pages', async () => {
    const { approve, token } = await requestMove('move.tamper');
    const c = new TestClient(t.app, '192.0.2.82');
    const [head, payload, signature] = token.split('.');
    const forged = `${head}.${payload}.${(signature ?? '').slice(0, -2)}xx`;
    const tampered = await c.get(approve.replace(token, forged));
    expect(tampered.status).toBe(400);
    expect(tampered.body).toContain('此連結無效或已被竄改');
    await c.get(approve);
    expect(
      (await c.post('/cyc/review/transfers/decide', { token: forged, decision: 'approve' })).status,
    ).toBe(400);

    const { id } = await requestOf('move.tamper');
    // A registration's review link does not decide a transfer, nor the other way round.
    const review = await t.county.links.sign(
      { purpose: 'county.review', subject: id, data: { tenant: 'cyc' } },
      600,
    );
    expect((await c.get(`/cyc/review/transfers/decide?token=${review}&decision=approve`)).status).toBe(400);
    expect((await c.get(`/cyc/review/decide?token=${token}&decision=approve`)).status).toBe(400);
    const other = await t.county.links.sign(
      { purpose: 'county.transfer', subject: id, data: { tenant: 'tn' } },
      600,
    );
    expect((await c.get(`/cyc/review/transfers/decide?token=${other}&decision=approve`)).status).toBe(400);
    const expired = await t.county.links.sign(
      { purpose: 'county.transfer', subject: id, data: { tenant: 'cyc' } },
      0,
    );
    const late = await c.get(`/cyc/review/transfers/decide?token=${expired}&decision=approve`);
    expect(late.status).toBe(410);
    expect(late.body).toContain('此連結已過期');

    expect((await requestOf('move.tamper')).state).toBe('pending');
    expect((await findAccountByUsername(t.county.db, 'cyc', 'move.tamper'))?.unit_code).toBe('454503');
  });

  it('a console decision still works and makes the mailed link say it is already decided', async () => {
    const { approve, token } = await requestMove('move.console');
    const { id } = await requestOf('move.console');
    // The unit's mailbox has the decision page open while a reviewer decides in the console.
    const mailbox = new TestClient(t.app, '192.0.2.83');
    expect((await mailbox.get(approve)).status).toBe(200);
    const reviewer = await signIn('rv-tbjh');
    await reviewer.get('/cyc/review');
    // Rejecting in the console asks for a reason too: back to the console with the field marked.
    const unreasoned = await reviewer.post(`/cyc/review/transfers/${id}`, { decision: 'reject', reason: '' });
    expect(unreasoned.status).toBe(303);
    expect(unreasoned.headers.location).toContain(`reason_missing=${id}`);
    expect((await reviewer.post(`/cyc/review/transfers/${id}`, { decision: 'approve' })).status).toBe(303);
    expect((await findAccountByUsername(t.county.db, 'cyc', 'move.console'))?.unit_code).toBe('454501');
    const [entry] = await auditOf('move.console', 'transfer.approved');
    expect(entry?.actor).toBe('rv-tbjh');
    expect(entry?.details).toMatchObject({ via: 'console' });

    const late = await rejectByLink(mailbox, token, '太晚了');
    expect(late.status).toBe(409);
    expect(late.body).toContain('此申請已經審核過了');
    const page = await mailbox.get(approve);
    expect(page.status).toBe(409);
    expect(page.body).toContain('此申請已經審核過了');
    expect((await requestOf('move.console')).state).toBe('approved');
    expect(await auditOf('move.console', 'transfer.rejected')).toHaveLength(0);
  });

  it('a withdrawn request explains itself at the link, and a console rejection mails its reason', async () => {
    const { teacher, approve } = await requestMove('move.withdrawn');
    await teacher.get('/cyc/profile/check');
    expect((await teacher.post('/cyc/profile/unit/cancel', {})).status).toBe(303);
    const withdrawn = await new TestClient(t.app, '192.0.2.84').get(approve);
    expect(withdrawn.status).toBe(409);
    expect(withdrawn.body).toContain('已撤回');

    await teacher.get('/cyc/profile/unit/change?q=太保國民中學');
    await teacher.post('/cyc/profile/unit/change', { unit: '454501' });
    const { id } = await requestOf('move.withdrawn');
    const admin = await signIn('cycadmin');
    await admin.get('/cyc/review?unit=454501');
    expect(
      (
        await admin.post(`/cyc/review/transfers/${id}`, {
          decision: 'reject',
          reason: '請先辦理離校',
          unit: '454501',
        })
      ).status,
    ).toBe(303);
    await t.drain();
    expect(t.lastMailTo('move.withdrawn@example.org')?.text).toContain('請先辦理離校');
  });

  it('reminds the receiving unit after 3 days, in both languages, with links that decide the request', async () => {
    const { approve: first, token: firstToken } = await requestMove('move.remind');
    const original = t.lastMailTo(TO_MAILBOX);
    const { id } = await requestOf('move.remind');
    const [reminder, ...more] = await runReminder(id);
    expect(more).toHaveLength(0);
    expect(reminder?.subject).toContain('提醒：move.remind 申請調入太保國民中學');
    expect(reminder?.subject).toContain('Reminder: the request of move.remind to move to 太保國民中學');
    expect(reminder?.text).toContain('林老師（帳號 move.remind）申請將服務單位由朴子國民中學變更為貴單位');
    expect(reminder?.text).toContain('This request to change unit still awaits your decision');
    // Fresh links, expiring with the first ones.
    expect(expiryIn(reminder?.text ?? '')).toBe(expiryIn(original?.text ?? ''));
    const links = linksIn(reminder?.text ?? '').filter((l) => l.includes('/review/transfers/decide'));
    const approve = links.find((l) => l.includes('decision=approve')) as string;
    expect(links.find((l) => l.includes('decision=reject'))).toBeDefined();
    const token = new URL(approve).searchParams.get('token') ?? '';
    expect(token).not.toBe(firstToken);
    const [entry] = await auditOf('move.remind', 'transfer.reminded');
    expect(entry?.actor).toBe('system');
    expect(entry?.details).toMatchObject({ unit: '454501' });

    // Following the reminder's link decides the request.
    const mailbox = new TestClient(t.app, '192.0.2.85');
    const page = await mailbox.get(approve);
    expect(page.status).toBe(200);
    expect(page.body).toContain('move.remind');
    const done = await mailbox.post('/cyc/review/transfers/decide', { token, decision: 'approve' });
    expect(done.status).toBe(200);
    expect(done.body).toContain('已核准 move.remind 調入貴單位');
    expect((await requestOf('move.remind')).state).toBe('approved');
    expect((await findAccountByUsername(t.county.db, 'cyc', 'move.remind'))?.unit_code).toBe('454501');
    // The first mail's link now says it is decided.
    const late = await mailbox.get(first);
    expect(late.status).toBe(409);
    expect(late.body).toContain('此申請已經審核過了');
  });

  it('sends no reminder for a request decided, withdrawn or replaced meanwhile', async () => {
    const decided = await requestMove('remind.decided');
    const mailbox = new TestClient(t.app, '192.0.2.86');
    await mailbox.get(decided.reject);
    const rejected = await rejectByLink(mailbox, decided.token, '查無此人');
    expect(rejected.status).toBe(200);
    expect(await runReminder((await requestOf('remind.decided')).id)).toEqual([]);

    const withdrawn = await requestMove('remind.withdrawn');
    await withdrawn.teacher.get('/cyc/profile/check');
    expect((await withdrawn.teacher.post('/cyc/profile/unit/cancel', {})).status).toBe(303);
    expect(await runReminder((await requestOf('remind.withdrawn')).id)).toEqual([]);

    const replaced = await requestMove('remind.replaced');
    const { id } = await requestOf('remind.replaced');
    await replaced.teacher.get('/cyc/profile/unit/change?q=太保國民中學');
    expect((await replaced.teacher.post('/cyc/profile/unit/change', { unit: '454501' })).status).toBe(303);
    await t.drain(); // the new request's own mail
    expect(await runReminder(id)).toEqual([]);
    // The new request has a reminder of its own.
    expect((await runReminder((await requestOf('remind.replaced')).id)).map((m) => m.subject)).toEqual([
      expect.stringContaining('提醒：remind.replaced'),
    ]);
    for (const username of ['remind.decided', 'remind.withdrawn', 'remind.replaced']) {
      expect(await auditOf(username, 'transfer.reminded'), username).toHaveLength(
        username === 'remind.replaced' ? 1 : 0,
      );
    }
  });
});
