// An applicant who goes back to a step already done and sends it again: the flow keeps its progress
// (REGISTRATION's rows that lead a state to itself), and a step not reached yet sends them to the
// step they are at.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { exercises, refuses } from '../../platform/testing/flow-coverage.ts';
import { findAccountByUsername } from '../accounts/repository.ts';
import { findTenant, findUnitByMailbox } from '../tenants/tenants.ts';
import { chooseCredentials } from '../testing/portal-steps.ts';
import { type CountyTestApp, startCountyTestApp, TestClient } from '../testing.ts';
import { submitRegistration } from './submit.ts';
import { REGISTRATION } from './transitions.ts';

const PASSWORD = 'correct horse battery';

describe('going back to a registration step (HTTP)', () => {
  let t: CountyTestApp;
  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase);
  });
  afterAll(async () => t?.close());

  /** The state of the registration flow that holds `username` now. */
  const stateOf = async (username: string) =>
    (
      await t.county.db
        .selectFrom('county_registration_flows')
        .select('state')
        .where('username', '=', username)
        .executeTakeFirstOrThrow()
    ).state;

  /** Starts an application and completes step 1 as `username`. */
  const start = async (username: string) => {
    const c = new TestClient(t.app);
    await c.get('/cyc/register');
    await c.post('/cyc/register/start', {});
    await c.get('/cyc/register/credentials');
    expect((await chooseCredentials(c, username, PASSWORD)).status).toBe(303);
    return c;
  };

  it('step 1 sent again from step 2 keeps the applicant at step 2', async () => {
    const c = await start('back.one');
    const at = exercises(REGISTRATION, 'email', 'saveCredentials');
    const page = await c.get('/cyc/register/credentials');
    expect(page.status).toBe(200);
    expect(page.body).toContain('value="back.one"');
    const again = await chooseCredentials(c, 'back.one2', '');
    expect(again.status, again.body).toBe(303);
    expect(again.headers.location).toBe('/cyc/register/email');
    expect(await stateOf('back.one2')).toBe(at);
  });

  it('steps 1, 2 and 3 sent again from step 4 keep the progress, and the application goes out', async () => {
    const c = await start('back.four');
    await c.get('/cyc/register/email');
    await c.post('/cyc/register/email', { email: 'back.four@example.org' });
    const terms = exercises(REGISTRATION, 'terms', 'saveEmail');
    await c.get('/cyc/register/email');
    expect((await c.post('/cyc/register/email', { email: 'back.four.b@example.org' })).status).toBe(303);
    expect(await stateOf('back.four')).toBe(terms);
    await c.get('/cyc/register/terms');
    await c.post('/cyc/register/terms', { accept: 'yes', version: '0' });
    expect(await stateOf('back.four')).toBe('unit');

    // From step 4, each earlier step again: the page shows what was entered, the flow stays at step 4.
    const credentials = await c.get('/cyc/register/credentials');
    expect(credentials.body).toContain('value="back.four"');
    expect((await chooseCredentials(c, 'back.four', '')).status).toBe(303);
    expect(await stateOf('back.four')).toBe(exercises(REGISTRATION, 'unit', 'saveCredentials'));
    expect((await c.get('/cyc/register/email')).body).toContain('back.four.b@example.org');
    expect((await c.post('/cyc/register/email', { email: 'back.four.c@example.org' })).status).toBe(303);
    expect(await stateOf('back.four')).toBe(exercises(REGISTRATION, 'unit', 'saveEmail'));
    await c.get('/cyc/register/terms');
    expect((await c.post('/cyc/register/terms', { accept: 'yes', version: '0' })).status).toBe(303);
    expect(await stateOf('back.four')).toBe(exercises(REGISTRATION, 'unit', 'acceptTerms'));

    // Step 4 still opens, and the application carries the last values.
    expect((await c.get('/cyc/register/unit')).status).toBe(200);
    const done = await c.post('/cyc/register/unit', { mailbox: 'pzjh@mail.cyc.edu.tw' });
    expect(done.headers.location).toBe('/cyc/register/done');
    const account = await findAccountByUsername(t.county.db, 'cyc', 'back.four');
    expect([account?.state, account?.email]).toEqual(['pending_email', 'back.four.c@example.org']);
  });

  it('the last step sent twice at once (a double click): both land on the result page, one application', async () => {
    const c = await start('back.twice');
    await c.get('/cyc/register/email');
    await c.post('/cyc/register/email', { email: 'back.twice@example.org' });
    await c.get('/cyc/register/terms');
    await c.post('/cyc/register/terms', { accept: 'yes', version: '0' });
    await c.get('/cyc/register/unit');
    const sent = await Promise.all([
      c.post('/cyc/register/unit', { mailbox: 'pzjh@mail.cyc.edu.tw' }),
      c.post('/cyc/register/unit', { mailbox: 'pzjh@mail.cyc.edu.tw' }),
    ]);
    expect(sent.map((r) => [r.status, r.headers.location])).toEqual([
      [303, '/cyc/register/done'],
      [303, '/cyc/register/done'],
    ]);
    const accounts = await t.county.db
      .selectFrom('county_accounts')
      .select('id')
      .where('username', '=', 'back.twice')
      .execute();
    expect(accounts).toHaveLength(1);
    expect((await c.get('/cyc/register/done')).status).toBe(200);
    // A submit that lost the race (its check passed before the first committed) gets the same account.
    const flow = await t.county.db
      .selectFrom('county_registration_flows')
      .select('id')
      .where('username', '=', 'back.twice')
      .executeTakeFirstOrThrow();
    const tenant = await findTenant(t.county.db, 'cyc');
    const unit = await findUnitByMailbox(t.county.db, 'cyc', 'pzjh@mail.cyc.edu.tw');
    if (!tenant || !unit) throw new Error('the demo county has no 朴子國中');
    const late = await submitRegistration(t.county, tenant, flow.id, unit, '203.0.113.9');
    expect(late).toMatchObject({ ok: true, alreadySubmitted: true, account: { id: accounts[0]?.id } });
  });

  it('refuses a step not reached yet: the applicant lands on their step and the flow stays', async () => {
    const c = await start('back.early');
    const at = refuses(REGISTRATION, 'email', 'acceptTerms');
    const early = await c.post('/cyc/register/terms', { accept: 'yes', version: '0' });
    expect(early.status).toBe(303);
    expect(early.headers.location).toBe('/cyc/register/email');
    refuses(REGISTRATION, 'email', 'submit');
    const submit = await c.post('/cyc/register/unit', { mailbox: 'pzjh@mail.cyc.edu.tw' });
    expect(submit.headers.location).toBe('/cyc/register/email');
    expect(await stateOf('back.early')).toBe(at);
    expect(await findAccountByUsername(t.county.db, 'cyc', 'back.early')).toBeUndefined();
  });
});
