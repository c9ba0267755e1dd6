// An audit campaign's reminder before its deadline (CAMPAIGN's `remind`), sent while it is open and
// not once it is closed; decide, close and undo are in consoles.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { exercises, refuses } from '../../platform/testing/flow-coverage.ts';
import { type CountyTestApp, startCountyTestApp } from '../testing.ts';
import { CAMPAIGN } from './transitions.ts';

const DSJH = 'dsjh@mail.cyc.edu.tw'; // 東石國民中學 (454504)

describe('an audit campaign reminds the units (HTTP and its job)', () => {
  let t: CountyTestApp;
  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase);
  });
  afterAll(async () => t?.close());

  const mailsTo = (to: string) => t.sent.filter((m) => m.to === to);
  const stateOf = async (id: string) =>
    (
      await t.county.db
        .selectFrom('county_audit_campaigns')
        .select('state')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).state;
  /** Runs the campaign's reminder job now (it waits for 3 days before the deadline); the mails it sent. */
  const runReminder = async (id: string) => {
    const before = mailsTo(DSJH).length;
    const job = await t.county.db
      .selectFrom('jobs')
      .select('id')
      .where('idempotency_key', '=', `county.campaign.reminder:${id}`)
      .executeTakeFirstOrThrow();
    await t.county.db.updateTable('jobs').set({ run_at: new Date() }).where('id', '=', job.id).execute();
    await t.drain();
    return mailsTo(DSJH).slice(before);
  };
  const open = async (title: string, ip: string) => {
    const admin = await t.signIn('cycadmin', { ip });
    await admin.get('/cyc/manage/campaigns');
    const opened = await admin.post('/cyc/manage/campaigns', { title, deadline: '2099-01-01T00:00' });
    expect(opened.status).toBe(303);
    await t.drain(); // the opening mails
    return { admin, id: String(opened.headers.location).split('/').pop() as string };
  };

  it('reminds a unit with staff still unconfirmed, and the campaign stays open', async () => {
    await t.newTeacher('remind.staff', { unitCode: '454504' });
    const { admin, id } = await open('提醒清查', '203.0.113.80');
    const to = exercises(CAMPAIGN, 'open', 'remind');
    const [reminder, ...more] = await runReminder(id);
    expect(more).toEqual([]);
    expect(reminder?.subject).toContain('提醒：帳號清查「提醒清查」尚有');
    expect(await stateOf(id)).toBe(to);
    const page = await admin.get(`/cyc/manage/campaigns/${id}`);
    expect(page.body).toContain(`/cyc/manage/campaigns/${id}/close`);
  });

  it('sends no reminder for a campaign closed meanwhile, and closing it again does nothing', async () => {
    const { admin, id } = await open('已結束清查', '203.0.113.81');
    await admin.get(`/cyc/manage/campaigns/${id}`);
    expect((await admin.post(`/cyc/manage/campaigns/${id}/close`, {})).status).toBe(303);
    await t.drain(); // the close's own mails (the accounts it suspended)
    const at = refuses(CAMPAIGN, 'closed', 'remind');
    expect(await runReminder(id)).toEqual([]);
    // Closed again (the button pressed twice, or the deadline's job after the button): nothing more
    // happens, no mail goes out.
    refuses(CAMPAIGN, 'closed', 'close');
    const mails = t.sent.length;
    await admin.get(`/cyc/manage/campaigns/${id}`);
    expect((await admin.post(`/cyc/manage/campaigns/${id}/close`, {})).status).toBe(303);
    await t.drain();
    expect(t.sent.slice(mails)).toEqual([]);
    expect(await stateOf(id)).toBe(at);
  });
});
