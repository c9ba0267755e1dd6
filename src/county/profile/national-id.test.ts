// The national ID on the profile check: what a teacher learns by typing someone else's number,
// and the school reviewer's correction of a wrong number.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../platform/federation/seed-data.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import { findAccountByBlindIndex, findAccountByUsername, insertAccount } from '../accounts/repository.ts';
import { type CountyTestApp, linksIn, startCountyTestApp, TestClient } from '../testing.ts';

// Numbers recorded by the demo seed in 嘉義縣: teacher01's and cycadmin's.
const TEACHER01 = 'A128765434';
const CYCADMIN = 'Q123456782';

describe.each(await testDatabases())('national ID on the county profile ($name)', (kind) => {
  let t: CountyTestApp;
  let hash: string;
  const signIn = async (username: string, ip: string, password = DEMO_PASSWORD) => {
    const c = new TestClient(t.app, ip);
    await c.get('/cyc/login');
    const r = await c.post('/cyc/login', { username, password });
    expect(r.status, `${username}: ${r.body.slice(0, 200)}`).toBe(303);
    return c;
  };
  const newTeacher = (username: string, unitCode = '454503') =>
    insertAccount(t.county.db, {
      tenant: 'cyc',
      username,
      passwordHash: hash,
      email: `${username}@example.org`,
      role: 'teacher',
      status: 'active',
      unitCode,
    });
  const auditOf = async (action: string) =>
    t.county.db.selectFrom('audit_log').selectAll().where('action', '=', action).execute();
  const numberOf = async (username: string) => {
    const account = await findAccountByUsername(t.county.db, 'cyc', username);
    return account?.national_id_encrypted ? t.county.vault.decrypt(account.national_id_encrypted) : null;
  };

  beforeAll(async () => {
    t = await startCountyTestApp(kind);
    hash = await t.county.hasher.hash(DEMO_PASSWORD);
  });
  afterAll(async () => t?.close());

  const idOf = async (username: string) =>
    (await findAccountByUsername(t.county.db, 'cyc', username))?.id ?? '';
  /** A page with what differs by account taken out: form tokens, the masked number, the username. */
  const bare = (body: string, masked: string, username: string) =>
    body
      .replace(/name="_csrf" value="[^"]*"/g, '')
      .replaceAll(masked, 'MASKED')
      .replaceAll(username, 'USER');

  it('a number another account holds gets the answer and the waiting page of a free one; the holder is mailed, the reviewer cannot record it', async () => {
    await newTeacher('probe.t');
    await newTeacher('free.t');
    const prober = await signIn('probe.t', '203.0.113.40');
    const other = await signIn('free.t', '203.0.113.44');
    await prober.get('/cyc/profile/national-id');
    await other.get('/cyc/profile/national-id');

    const taken = await prober.post('/cyc/profile/national-id', { national_id: TEACHER01 });
    const free = await other.post('/cyc/profile/national-id', { national_id: 'A800000014' });
    expect([taken.status, taken.headers.location]).toEqual([303, '/cyc/profile/check']);
    expect([free.status, free.headers.location]).toEqual([303, '/cyc/profile/check']);
    const takenPage = (await prober.get('/cyc/profile/check')).body;
    const freePage = (await other.get('/cyc/profile/check')).body;
    expect(takenPage).toContain('身分證號 A1******34 已送出，學校審核人員核對您的證件後即登錄');
    expect(bare(takenPage, 'A1******34', 'probe.t')).toBe(bare(freePage, 'A8******14', 'free.t'));
    for (const page of [takenPage, taken.body]) {
      expect(page).not.toContain('無法登錄');
      expect(page).not.toContain('teacher01');
      expect(page).not.toContain(TEACHER01);
    }
    expect(await numberOf('probe.t')).toBeNull();
    expect(await numberOf('free.t')).toBeNull();

    // Audited alike, the holder named for the county's investigation, the number never.
    const submitted = await auditOf('profile.national_id_submitted');
    expect(submitted.map((e) => [e.actor, (e.details as { other: string | null }).other])).toEqual([
      ['probe.t', await idOf('teacher01')],
      ['free.t', null],
    ]);
    expect(JSON.stringify(submitted)).not.toContain(TEACHER01);

    // The holder is told by mail which account typed the number; the unit's mailbox is asked to check.
    await t.drain();
    const told = t.lastMailTo('teacher01@example.org');
    expect(told?.subject).toContain('有另一個帳號嘗試登錄您的身分證號');
    expect(told?.text).toContain('帳號「probe.t」');
    expect(told?.text).not.toContain(TEACHER01);

    // The reviewer sees both; the free one is recorded, the held one cannot be and is declined.
    const reviewer = await signIn('rv-pzjh', '203.0.113.45');
    const console = (await reviewer.get('/cyc/review')).body;
    expect(console).toContain('身分證號待確認');
    expect(console).toContain('A1******34');
    expect(console).toContain('A8******14');
    const held = await reviewer.post(`/cyc/review/accounts/${await idOf('probe.t')}/national-id/confirm`, {
      unit: '454503',
    });
    expect(held.status).toBe(409);
    expect(held.body).toContain('本縣已有其他帳號登錄此號碼');
    expect(held.body).not.toContain('teacher01');
    expect(await numberOf('probe.t')).toBeNull();
    const declined = await reviewer.post(
      `/cyc/review/accounts/${await idOf('probe.t')}/national-id/decline`,
      { unit: '454503' },
    );
    expect(declined.status).toBe(303);
    const confirmed = await reviewer.post(
      `/cyc/review/accounts/${await idOf('free.t')}/national-id/confirm`,
      { unit: '454503' },
    );
    expect(confirmed.status).toBe(303);
    expect(await numberOf('free.t')).toBe('A800000014');
    expect(await numberOf('probe.t')).toBeNull();
    expect((await auditOf('profile.national_id_declined')).map((e) => e.actor)).toEqual(['rv-pzjh']);
    await t.drain();
    expect(t.lastMailTo('probe.t@example.org')?.subject).toContain('您送出的身分證號未登錄');
    expect(t.lastMailTo('free.t@example.org')?.subject).toContain('您的身分證號已登錄');
    // Declined: the teacher may enter a number again.
    expect((await prober.get('/cyc/profile/national-id')).status).toBe(200);
  });

  it('every submission draws on the budget alike, whoever holds the number, also when sent at once', async () => {
    const reviewer = await signIn('rv-pzjh', '203.0.113.46');
    await reviewer.get('/cyc/review');
    const tries = async (username: string, ip: string, number: string) => {
      await newTeacher(username);
      const c = await signIn(username, ip);
      await c.get('/cyc/profile/national-id');
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await c.post('/cyc/profile/national-id', { national_id: number })).status);
        await reviewer.post(`/cyc/review/accounts/${await idOf(username)}/national-id/decline`, {
          unit: '454503',
        });
      }
      return statuses;
    };
    const held = await tries('budget.t', '203.0.113.42', CYCADMIN);
    expect(held).toEqual([303, 303, 429]);
    expect(await tries('budget.f', '203.0.113.43', 'B100000002')).toEqual(held);
    expect((await auditOf('profile.national_id_throttled')).map((e) => e.actor)).toEqual([
      'budget.t',
      'budget.f',
    ]);

    // Sent at once: no more than the budget is taken, and one number waits.
    await newTeacher('burst.t');
    const c = await signIn('burst.t', '203.0.113.47');
    await c.get('/cyc/profile/national-id');
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => c.post('/cyc/profile/national-id', { national_id: TEACHER01 })),
    );
    expect(answers.filter((a) => a.status === 303).length).toBeLessThanOrEqual(2);
    expect(answers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(1);
    const submitted = await auditOf('profile.national_id_submitted');
    expect(submitted.filter((e) => e.actor === 'burst.t')).toHaveLength(1);
  });

  it('the English page names no account either', async () => {
    await newTeacher('probe.en');
    const c = await signIn('probe.en', '203.0.113.41');
    await c.get('/cyc/profile/national-id?lang=en');
    const sent = await c.post('/cyc/profile/national-id', { national_id: TEACHER01 });
    expect(sent.status).toBe(303);
    const page = (await c.get('/cyc/profile/check')).body;
    expect(page).toContain('National ID number A1******34 sent');
    expect(page).not.toContain('teacher01');
    expect(page).not.toContain('cannot be recorded');
  });

  it('a teacher who recorded a wrong number asks the school reviewer, who corrects it: the old number stops matching, audited and mailed', async () => {
    const WRONG = 'F100000006';
    const RIGHT = 'K100000000';
    await newTeacher('wrong.t');
    const teacher = await signIn('wrong.t', '203.0.113.50');
    await teacher.get('/cyc/profile/national-id');
    expect((await teacher.post('/cyc/profile/national-id', { national_id: WRONG })).status).toBe(303);
    const reviewer = await signIn('rv-pzjh', '203.0.113.52');
    await reviewer.get('/cyc/review');
    expect(
      (
        await reviewer.post(`/cyc/review/accounts/${await idOf('wrong.t')}/national-id/confirm`, {
          unit: '454503',
        })
      ).status,
    ).toBe(303);
    // Recorded once: the teacher is sent to the school's reviewer to correct it.
    const again = await teacher.post('/cyc/profile/national-id', { national_id: RIGHT });
    expect(again.body).toContain('如需更正，請洽您學校的審核人員');
    const account = await findAccountByUsername(t.county.db, 'cyc', 'wrong.t');
    const id = account?.id ?? '';
    const before = account?.national_id_encrypted;

    // Another unit's reviewer cannot touch this teacher.
    const other = await signIn('rv-tbjh', '203.0.113.51');
    expect((await other.get(`/cyc/review/accounts/${id}/national-id`)).status).toBe(403);
    await other.get('/cyc/review');
    expect(
      (await other.post(`/cyc/review/accounts/${id}/national-id`, { national_id: RIGHT, unit: '454501' }))
        .status,
    ).toBe(403);
    // Nor can the teacher.
    expect((await teacher.get(`/cyc/review/accounts/${id}/national-id`)).status).toBe(403);

    const console = await reviewer.get('/cyc/review');
    expect(console.body).toContain(`/cyc/review/accounts/${id}/national-id`);
    const form = await reviewer.get(`/cyc/review/accounts/${id}/national-id?unit=454503`);
    expect(form.body).toContain('更正身分證號：wrong.t');
    expect(form.body).toContain('F1******06');
    expect(form.body).not.toContain(WRONG);

    const checksum = await reviewer.post(`/cyc/review/accounts/${id}/national-id`, {
      national_id: 'K100000001',
      unit: '454503',
    });
    expect(checksum.status).toBe(400);
    expect(checksum.body).toContain('檢查碼不正確');
    const held = await reviewer.post(`/cyc/review/accounts/${id}/national-id`, {
      national_id: TEACHER01,
      unit: '454503',
    });
    expect(held.status).toBe(400);
    expect(held.body).toContain('本縣已有其他帳號登錄此號碼');
    expect(held.body).not.toContain('teacher01');
    expect(await numberOf('wrong.t')).toBe(WRONG);

    const done = await reviewer.post(`/cyc/review/accounts/${id}/national-id`, {
      national_id: RIGHT,
      unit: '454503',
    });
    expect(done.status).toBe(200);
    expect(done.body).toContain('已將 wrong.t 的身分證號更正為 K1******00');

    // New ciphertext and blind index: the old number no longer matches anyone.
    const after = await findAccountByUsername(t.county.db, 'cyc', 'wrong.t');
    expect(after?.national_id_encrypted).not.toBe(before);
    expect(await numberOf('wrong.t')).toBe(RIGHT);
    expect(after?.national_id_blind_index).toBe(t.county.vault.blindIndex(RIGHT));
    expect(
      await findAccountByBlindIndex(t.county.db, 'cyc', t.county.vault.blindIndex(WRONG)),
    ).toBeUndefined();
    expect((await findAccountByBlindIndex(t.county.db, 'cyc', t.county.vault.blindIndex(RIGHT)))?.id).toBe(
      id,
    );

    const [corrected] = await auditOf('profile.national_id_corrected');
    expect(corrected).toMatchObject({ actor: 'rv-pzjh', target: id, ip: '203.0.113.52' });
    expect(corrected?.details).toMatchObject({ unit: '454503' });
    expect(JSON.stringify(corrected)).not.toContain(RIGHT);
    // The unit's trail in the console shows it, in words.
    const trail = (await reviewer.get('/cyc/review')).body;
    expect(trail).toContain('學校更正身分證號');
    expect(trail).not.toContain('profile.national_id_corrected');

    await t.drain();
    const mail = t.lastMailTo('wrong.t@example.org');
    expect(mail?.subject).toContain('您的身分證號已更正');
    expect(mail?.text).toContain('K1******00');
    expect(mail?.text).not.toContain(RIGHT);
    expect(linksIn(mail?.text ?? '')).toEqual([]);

    // The person the wrong number really belongs to can now record it.
    await newTeacher('owner.t');
    const owner = await signIn('owner.t', '203.0.113.53');
    await owner.get('/cyc/profile/national-id');
    expect((await owner.post('/cyc/profile/national-id', { national_id: WRONG })).status).toBe(303);
    const ownerId = await idOf('owner.t');
    expect(
      (await reviewer.post(`/cyc/review/accounts/${ownerId}/national-id/confirm`, { unit: '454503' })).status,
    ).toBe(303);
    expect(await numberOf('owner.t')).toBe(WRONG);

    // In English too.
    const english = await reviewer.get(`/cyc/review/accounts/${id}/national-id?unit=454503&lang=en`);
    expect(english.body).toContain('Correct the national ID of wrong.t');
    expect(english.body).toContain('K1******00');
  });
});
