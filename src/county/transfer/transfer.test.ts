// A teacher's request to change unit, ended otherwise than by the receiving unit's decision: the
// teacher withdraws it, a new request replaces it, or a county administrator moves the account
// (TRANSFER's cancelled rows; the decisions are in review/transfer-links.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { exercises, refuses } from '../../platform/testing/flow-coverage.ts';
import { findAccountByUsername } from '../accounts/repository.ts';
import { type CountyTestApp, startCountyTestApp, type TestClient } from '../testing.ts';
import { TRANSFER } from './transitions.ts';

const PENDING = '服務單位變更申請中';

describe('a transfer request withdrawn, replaced or overtaken (HTTP)', () => {
  let t: CountyTestApp;
  let ip = 30;
  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase);
  });
  afterAll(async () => t?.close());

  const signIn = (username: string) => t.signIn(username, { ip: `203.0.113.${ip++}` });
  /** A teacher of 朴子國民中學, signed in, who asked to move to `unit`. */
  const requestMove = async (username: string, unit = '454501') => {
    await t.newTeacher(username);
    const teacher = await signIn(username);
    await ask(teacher, unit);
    return teacher;
  };
  const ask = async (teacher: TestClient, unit: string) => {
    await teacher.get('/cyc/profile/unit/change?q=國民中學');
    expect((await teacher.post('/cyc/profile/unit/change', { unit })).status).toBe(303);
  };
  const requestsOf = async (username: string) => {
    const account = await findAccountByUsername(t.county.db, 'cyc', username);
    return t.county.db
      .selectFrom('county_transfer_requests')
      .select(['id', 'state', 'to_unit'])
      .where('account_id', '=', account?.id ?? '')
      .orderBy('created_at')
      .execute();
  };

  it('the teacher withdraws the request: it is cancelled, and the unit can no longer approve it', async () => {
    const teacher = await requestMove('move.withdraw');
    expect((await teacher.get('/cyc/profile/check')).body).toContain(`${PENDING}：太保國民中學`);
    const to = exercises(TRANSFER, 'pending', 'withdraw');
    expect((await teacher.post('/cyc/profile/unit/cancel', {})).status).toBe(303);
    expect((await teacher.get('/cyc/profile/check')).body).not.toContain(PENDING);
    const [request] = await requestsOf('move.withdraw');
    expect(request?.state).toBe(to);

    // The receiving unit's reviewer, with the console open from before, approves it: refused, nothing moves.
    const reviewer = await signIn('rv-tbjh');
    await reviewer.get('/cyc/review');
    const late = await reviewer.post(`/cyc/review/transfers/${request?.id}`, { decision: 'approve' });
    expect(late.status).toBe(409);
    expect(late.body).toContain('已撤回');
    expect((await requestsOf('move.withdraw'))[0]?.state).toBe(refuses(TRANSFER, 'cancelled', 'approve'));
    expect((await findAccountByUsername(t.county.db, 'cyc', 'move.withdraw'))?.unit_code).toBe('454503');
  });

  it('a new request replaces the pending one', async () => {
    const teacher = await requestMove('move.replace');
    const to = exercises(TRANSFER, 'pending', 'replace');
    await ask(teacher, '454504');
    expect((await teacher.get('/cyc/profile/check')).body).toContain(`${PENDING}：東石國民中學`);
    expect((await requestsOf('move.replace')).map((r) => [r.to_unit, r.state])).toEqual([
      ['454501', to],
      ['454504', 'pending'],
    ]);
  });

  it('a county administrator moving the account cancels the request the teacher had pending', async () => {
    const teacher = await requestMove('move.admin');
    const account = await findAccountByUsername(t.county.db, 'cyc', 'move.admin');
    const to = exercises(TRANSFER, 'pending', 'administratorMove');
    const admin = await signIn('cycadmin');
    await admin.get(`/cyc/manage/accounts/${account?.id}`);
    const moved = await admin.post(`/cyc/manage/accounts/${account?.id}/transfer`, { unit: '454504' });
    expect(moved.status).toBe(303);
    const check = await teacher.get('/cyc/profile/check');
    expect(check.body).not.toContain(PENDING);
    expect(check.body).toContain('東石國民中學');
    expect((await requestsOf('move.admin')).map((r) => r.state)).toEqual([to]);
    expect((await findAccountByUsername(t.county.db, 'cyc', 'move.admin'))?.unit_code).toBe('454504');
  });
});
