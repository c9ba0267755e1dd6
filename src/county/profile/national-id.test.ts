// The national ID on the profile check: what a teacher learns by typing someone else's number,
// and the school reviewer's correction of a wrong number.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../demo/seed-data.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import { findAccountByUsername, insertAccount } from '../accounts/repository.ts';
import { type CountyTestApp, startCountyTestApp, TestClient } from '../testing.ts';

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
    expect(first.body).not.toContain('另一個帳號');
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

    // A colleague behind the same school address records the number without waiting.
    await newTeacher('colleague.t');
    const colleague = await signIn('colleague.t', '203.0.113.40');
    await colleague.get('/cyc/profile/national-id');
    const saved = await colleague.post('/cyc/profile/national-id', { national_id: 'A800000014' });
    expect(saved.status).toBe(303);
    expect(await numberOf('colleague.t')).toBe('A800000014');
  });

  it('the English refusal names no account either', async () => {
    await newTeacher('probe.en');
    const c = await signIn('probe.en', '203.0.113.41');
    await c.get('/cyc/profile/national-id?lang=en');
    const refused = await c.post('/cyc/profile/national-id', { national_id: TEACHER01 });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('This number cannot be recorded on your account');
    expect(refused.body).not.toContain('another account');
  });
});
