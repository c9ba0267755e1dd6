// Every public form with hostile or broken input: a clear error, nothing half-stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../platform/federation/seed-data.ts';
import { embeddedTestDatabase } from '../platform/testing/databases.ts';
import { chooseCredentials } from './testing/portal-steps.ts';
import { type CountyTestApp, startCountyTestApp, TestClient } from './testing.ts';

const HUGE = 'x'.repeat(10 * 1024);
const SCRIPT = '<script>alert(1)</script>';
const SQL = "x' OR '1'='1'; DROP TABLE county_accounts; --";
const BAD = ['', HUGE, SCRIPT, SQL];

describe('bad input on the county forms', () => {
  let t: CountyTestApp;
  const counts = async () => {
    const [a, f, m] = await Promise.all([
      t.county.db
        .selectFrom('county_accounts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      t.county.db
        .selectFrom('county_registration_flows')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', '<>', 'credentials')
        .executeTakeFirstOrThrow(),
      t.county.db
        .selectFrom('mail_outbox')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ]);
    return [Number(a.n), Number(f.n), Number(m.n)];
  };

  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase);
  });
  afterAll(async () => t?.close());

  async function registrationAt(step: 'credentials' | 'email' | 'terms' | 'unit') {
    const c = new TestClient(t.app);
    await c.get('/cyc/register');
    await c.post('/cyc/register/start', {});
    if (step === 'credentials') return c;
    await chooseCredentials(c, `u${Math.random().toString(36).slice(2, 9)}`, 'a long passphrase');
    if (step === 'email') return c;
    await c.post('/cyc/register/email', { email: `e${Math.random().toString(36).slice(2, 9)}@example.org` });
    if (step === 'terms') return c;
    await c.post('/cyc/register/terms', { accept: 'yes', version: '0' });
    return c;
  }

  it('step 1: every bad username and password gets its own message, no password echoed', async () => {
    const before = await counts();
    for (const value of BAD) {
      const c = await registrationAt('credentials');
      const r = await chooseCredentials(c, value, value, `${value}!`);
      expect(r.status, value.slice(0, 20)).toBe(400);
      expect(r.body).toContain('id="f-username-error"');
      expect(r.body).toContain('id="f-password-error"');
      expect(r.body).not.toContain('<script>alert(1)</script>');
      if (value) expect(r.body).not.toContain(`value="${value}!"`);
      expect(r.body.length).toBeLessThan(40_000);
    }
    expect(await counts()).toEqual(before);
  });

  it('step 1: a taken username (any case) is refused at the field', async () => {
    const c = await registrationAt('credentials');
    const r = await chooseCredentials(c, 'TEACHER01', 'a long passphrase');
    expect(r.status).toBe(400);
    expect(r.body).toContain('這個帳號已經有人使用');
    expect(r.body).toContain('value="TEACHER01"');
  });

  it('step 2: bad and taken emails, values kept (escaped)', async () => {
    for (const value of [...BAD, 'teacher01@example.org', 'pzjh@mail.cyc.edu.tw']) {
      const c = await registrationAt('email');
      const r = await c.post('/cyc/register/email', { email: value });
      expect(r.status).toBe(400);
      expect(r.body).toContain('id="f-email-error"');
      expect(r.body).not.toContain(SCRIPT);
    }
  });

  it('step 3: the terms must be ticked, and the version must be the current one', async () => {
    const c = await registrationAt('terms');
    expect((await c.post('/cyc/register/terms', { version: '0' })).body).toContain(
      '請勾選「我接受以上條款」',
    );
    expect((await c.post('/cyc/register/terms', { accept: 'yes', version: SQL })).body).toContain(
      '服務條款剛剛更新',
    );
  });

  it('step 4: bad mailboxes, another county’s mailbox, and an unknown mailbox', async () => {
    const before = await counts();
    for (const value of [...BAD, 'dcjh@mail.tn.edu.tw', 'nobody@mail.cyc.edu.tw']) {
      const c = await registrationAt('unit');
      const r = await c.post('/cyc/register/unit', { mailbox: value });
      expect(r.status).toBe(400);
      expect(r.body).toContain('id="f-mailbox-error"');
    }
    const after = await counts();
    expect(after[0]).toBe(before[0]);
    expect(after[2]).toBe(before[2]);
  });

  it('refuses every POST without a CSRF token, and changes nothing', async () => {
    const before = await counts();
    const c = await registrationAt('unit');
    const mid = await counts();
    for (const [url, form] of [
      ['/cyc/register/unit', { mailbox: 'pzjh@mail.cyc.edu.tw' }],
      ['/cyc/login', { username: 'teacher01', password: DEMO_PASSWORD }],
      ['/cyc/forgot', { identifier: 'teacher01' }],
      ['/cyc/review/decide', { token: 'x', decision: 'approve' }],
      ['/cyc/register/verify', { token: 'x' }],
    ] as const) {
      const r = await c.post(url, { _csrf: '', ...form });
      expect(r.status, url).toBe(403);
      expect(r.body).toContain('表單已過期或來源不明');
    }
    expect((await counts())[0]).toBe(before[0]);
    expect(await counts()).toEqual(mid);
  });

  it('gives a clear page for tampered, replayed and expired links', async () => {
    const c = new TestClient(t.app);
    const tampered = await c.get('/cyc/review/decide?token=eyJhbGciOiJIUzI1NiJ9.e30.x&decision=approve');
    expect(tampered.status).toBe(400);
    expect(tampered.body).toContain('此連結無效或已被竄改');
    const expired = await t.county.links.sign(
      { purpose: 'county.review', subject: '6f1c1a52-0c7e-4d8e-9a51-1b2f3c4d5e11', data: { tenant: 'cyc' } },
      0,
    );
    const r = await c.get(`/cyc/review/decide?token=${expired}&decision=approve`);
    expect(r.status).toBe(410);
    expect(r.body).toContain('此連結已過期');
    // A valid link of another tenant does not work here.
    const other = await t.county.links.sign(
      { purpose: 'county.review', subject: '6f1c1a52-0c7e-4d8e-9a51-1b2f3c4d5e11', data: { tenant: 'tn' } },
      600,
    );
    expect((await c.get(`/cyc/review/decide?token=${other}&decision=approve`)).status).toBe(400);
    // A link for a decided (active) account explains itself.
    const decided = await t.county.links.sign(
      { purpose: 'county.review', subject: '6f1c1a52-0c7e-4d8e-9a51-1b2f3c4d5e11', data: { tenant: 'cyc' } },
      600,
    );
    const d = await c.get(`/cyc/review/decide?token=${decided}&decision=approve`);
    expect(d.status).toBe(409);
    expect(d.body).toContain('此申請已經審核過了');
    const verify = await c.get(`/cyc/register/verify?token=${SQL}`);
    expect(verify.status).toBe(400);
  });

  it('login: bad input never reveals anything and never errors', async () => {
    const c = new TestClient(t.app, '198.51.100.99');
    await c.get('/cyc/login');
    for (const value of BAD) {
      const r = await c.post('/cyc/login', { username: value, password: value });
      expect([400, 401]).toContain(r.status);
      expect(r.body).not.toContain(SCRIPT);
    }
    const r = await c.post('/cyc/login', {
      username: 'teacher01',
      password: DEMO_PASSWORD,
      next: 'https://evil.example/',
    });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/cyc/account');
  });

  it('forgot password does the same work and answers the same for known and unknown accounts', async () => {
    const c = new TestClient(t.app, '198.51.100.120');
    await c.get('/cyc/forgot');
    const work = async () => {
      const [jobs, mails, audits] = await Promise.all(
        (['jobs', 'mail_outbox', 'audit_log'] as const).map(async (table) =>
          Number(
            (
              await t.county.db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll<string>().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          ),
        ),
      );
      const queued = await t.county.db
        .selectFrom('jobs')
        .select('type')
        .where('type', '=', 'county.password.reset')
        .where('state', '=', 'queued')
        .execute();
      return { jobs: jobs ?? 0, mails: mails ?? 0, audits: audits ?? 0, queued: queued.length };
    };
    const before = await work();
    const known = await c.post('/cyc/forgot', { identifier: 'teacher01' });
    const afterKnown = await work();
    const unknown = await c.post('/cyc/forgot', { identifier: 'nobody.here' });
    const afterUnknown = await work();
    // Each request queued one job and did nothing else: no lookup result shows in what it wrote.
    expect(afterKnown).toEqual({ ...before, jobs: before.jobs + 1, queued: before.queued + 1 });
    expect(afterUnknown).toEqual({ ...afterKnown, jobs: afterKnown.jobs + 1, queued: afterKnown.queued + 1 });
    const strip = (s: string) => s.replace(/name="_csrf" value="[^"]+"/, '');
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    expect(strip(known.body)).toBe(strip(unknown.body));
    expect(known.headers['set-cookie']).toEqual(unknown.headers['set-cookie']);
    // The job then mails the known account only.
    const sent = t.sent.length;
    await t.drain();
    expect(t.sent.slice(sent).map((m) => m.to)).toEqual(['teacher01@example.org']);
    expect((await c.post('/cyc/forgot', { identifier: HUGE })).status).toBe(400);
  });
});
