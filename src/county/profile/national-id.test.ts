// The national ID on the profile check: what a teacher learns by typing someone else's number,
// and the school reviewer's correction of a wrong number.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../demo/seed-data.ts';
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

  it('a number held by another account is refused with words that name no account, and probing is throttled and audited', async () => {
    await newTeacher('probe.t');
    const c = await signIn('probe.t', '203.0.113.40');
    await c.get('/cyc/profile/national-id');

    const first = await c.post('/cyc/profile/national-id', { national_id: TEACHER01 });
    expect(first.status).toBe(400);
    expect(first.body).toContain('這個號碼無法登錄在您的帳號');
    expect(first.body).not.toContain('已登錄在本縣的另一個帳號');
    expect(first.body).not.toContain('/cyc/forgot');
    expect(first.body).not.toContain('teacher01');
    expect(first.body).not.toContain(TEACHER01);

    expect((await c.post('/cyc/profile/national-id', { national_id: CYCADMIN })).status).toBe(400);

    // Two guesses spent: the next try waits, whatever number it carries, so a free number tells
    // the prober nothing either.
    const third = await c.post('/cyc/profile/national-id', { national_id: 'A800000014' });
    expect(third.status).toBe(429);
    expect(third.body).toContain('登錄身分證號的嘗試次數過多');
    expect(await numberOf('probe.t')).toBeNull();

    const refused = await auditOf('profile.national_id_refused');
    expect(refused.map((e) => e.actor)).toEqual(['probe.t', 'probe.t']);
    expect(refused.every((e) => e.ip === '203.0.113.40')).toBe(true);
    expect((await auditOf('profile.national_id_throttled')).map((e) => e.actor)).toEqual(['probe.t']);
    expect(JSON.stringify(refused)).not.toContain(TEACHER01);

    // The holders are told, by mail, which account tried; the screen told the prober nothing of them.
    await t.drain();
    const told = t.lastMailTo('teacher01@example.org');
    expect(told?.subject).toContain('有另一個帳號嘗試登錄您的身分證號');
    expect(told?.text).toContain('帳號「probe.t」');
    expect(told?.text).not.toContain(TEACHER01);

    // A colleague behind the same school address records the number without waiting.
    await newTeacher('colleague.t');
    const colleague = await signIn('colleague.t', '203.0.113.40');
    await colleague.get('/cyc/profile/national-id');
    const saved = await colleague.post('/cyc/profile/national-id', { national_id: 'A800000014' });
    expect(saved.status).toBe(303);
    expect(await numberOf('colleague.t')).toBe('A800000014');
  });

  it('guesses sent at once get no more refusals than the budget allows', async () => {
    await newTeacher('burst.t');
    const c = await signIn('burst.t', '203.0.113.42');
    await c.get('/cyc/profile/national-id');
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => c.post('/cyc/profile/national-id', { national_id: TEACHER01 })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([400, 400, ...Array(8).fill(429)]);
    const refused = await auditOf('profile.national_id_refused');
    expect(refused.filter((e) => e.actor === 'burst.t')).toHaveLength(2);
  });

  it('the English refusal names no account either', async () => {
    await newTeacher('probe.en');
    const c = await signIn('probe.en', '203.0.113.41');
    await c.get('/cyc/profile/national-id?lang=en');
    const refused = await c.post('/cyc/profile/national-id', { national_id: TEACHER01 });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('This number cannot be recorded on your account');
    expect(refused.body).not.toContain('already recorded on another account');
    expect(refused.body).not.toContain('teacher01');
    expect(refused.body).not.toContain('/cyc/forgot');
  });

  it('a teacher who recorded a wrong number asks the school reviewer, who corrects it: the old number stops matching, audited and mailed', async () => {
    const WRONG = 'F100000006';
    const RIGHT = 'K100000000';
    await newTeacher('wrong.t');
    const teacher = await signIn('wrong.t', '203.0.113.50');
    await teacher.get('/cyc/profile/national-id');
    expect((await teacher.post('/cyc/profile/national-id', { national_id: WRONG })).status).toBe(303);
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

    const reviewer = await signIn('rv-pzjh', '203.0.113.52');
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

    // In English too.
    const english = await reviewer.get(`/cyc/review/accounts/${id}/national-id?unit=454503&lang=en`);
    expect(english.body).toContain('Correct the national ID of wrong.t');
    expect(english.body).toContain('K1******00');
  });
});
