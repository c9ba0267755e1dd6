// A county account's lifecycle moved by a county administrator in the manage console, and refused
// where ACCOUNT_LIFECYCLE has no row (suspend, reactivate and depart from active are in
// consoles.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../platform/federation/seed-data.ts';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { exercises, refuses } from '../../platform/testing/flow-coverage.ts';
import { logIn } from '../testing/portal-steps.ts';
import { type CountyTestApp, startCountyTestApp, TestClient } from '../testing.ts';
import { findAccountByUsername } from './repository.ts';
import { ACCOUNT_LIFECYCLE } from './transitions.ts';

describe('a county account suspended, then departed (HTTP)', () => {
  let t: CountyTestApp;
  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase);
  });
  afterAll(async () => t?.close());

  const stateOf = async (username: string) =>
    (await findAccountByUsername(t.county.db, 'cyc', username))?.state;

  it('departs a suspended account; the teacher is told at sign-in, and nothing brings it back', async () => {
    const target = await t.newTeacher('life.gone');
    const admin = await t.signIn('cycadmin', { ip: '203.0.113.70' });
    await admin.get(`/cyc/manage/accounts/${target.id}`);
    await admin.post(`/cyc/manage/accounts/${target.id}/suspend`, { reason: '留職停薪' });
    expect(await stateOf('life.gone')).toBe('suspended');

    const to = exercises(ACCOUNT_LIFECYCLE, 'suspended', 'depart');
    const departed = await admin.post(`/cyc/manage/accounts/${target.id}/depart`, { reason: '退休' });
    expect(departed.status).toBe(303);
    expect(await stateOf('life.gone')).toBe(to);
    const page = await admin.get(`/cyc/manage/accounts/${target.id}`);
    expect(page.body).toContain('註銷帳號');

    const teacher = await logIn(new TestClient(t.app, '203.0.113.71'), {
      username: 'life.gone',
      password: DEMO_PASSWORD,
    });
    expect(teacher.status).toBe(403);
    expect(teacher.body).toContain('此帳號已註銷');

    // A departed account is final: reactivating it is refused with the reason, and it stays departed.
    const at = refuses(ACCOUNT_LIFECYCLE, 'departed', 'reactivate');
    const again = await admin.post(`/cyc/manage/accounts/${target.id}/reactivate`, { reason: '回任' });
    expect(again.status).toBe(409);
    expect(again.body).toContain('不能執行此動作');
    expect(await stateOf('life.gone')).toBe(at);
  });

  it('the console home counts the accounts in each state, and a suspension moves one', async () => {
    const admin = await t.signIn('cycadmin', { ip: '203.0.113.74' });
    const count = async (state: string) => {
      const home = await admin.get('/cyc/manage');
      const row = new RegExp(`status=${state}">[^<]*</a></td><td>(\\d+)</td>`).exec(home.body);
      return Number(row?.[1]);
    };
    const target = await t.newTeacher('life.counted');
    const active = await count('active');
    const suspended = await count('suspended');
    expect(active).toBeGreaterThan(0);
    await admin.get(`/cyc/manage/accounts/${target.id}`);
    await admin.post(`/cyc/manage/accounts/${target.id}/suspend`, { reason: '留職停薪' });
    expect(await count('active')).toBe(active - 1);
    expect(await count('suspended')).toBe(suspended + 1);
  });

  it('refuses to reactivate an account that is active, and changes nothing', async () => {
    const target = await t.newTeacher('life.active');
    const admin = await t.signIn('cycadmin', { ip: '203.0.113.72' });
    await admin.get(`/cyc/manage/accounts/${target.id}`);
    const at = refuses(ACCOUNT_LIFECYCLE, 'active', 'reactivate');
    const refused = await admin.post(`/cyc/manage/accounts/${target.id}/reactivate`, { reason: '已確認' });
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('不能執行此動作');
    expect(await stateOf('life.active')).toBe(at);
    await t.signIn('life.active', { ip: '203.0.113.73' }); // the teacher still signs in
  });
});
