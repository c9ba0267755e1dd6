import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../platform/database/connect.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import { countyMigrations } from '../migrations.ts';
import type { CountyDatabase, RegistrationState } from '../schema.ts';
import { upsertTenant } from '../tenants/tenants.ts';
import { advance, canVisit, completeStep, loadFlow, STEPS, startFlow } from './flow.ts';

// The registration's transitions (how-to 一): each form step completed moves the flow on to the next
// step; an earlier step edited again keeps the progress; a submitted flow takes no step any more.

describe('the registration steps', () => {
  const FORM_STEPS = STEPS.filter((s) => s !== 'submitted');

  it.each(FORM_STEPS)('%s: completing it moves on to the step after it, never back', (step) => {
    const next = STEPS[STEPS.indexOf(step) + 1] as RegistrationState;
    for (const current of STEPS) {
      const expected = STEPS.indexOf(current) > STEPS.indexOf(step) ? current : next;
      expect(advance(current, step), `${step} completed at ${current}`).toBe(expected);
    }
  });

  it('shows the steps done and the current one, and none once submitted', () => {
    expect(FORM_STEPS.filter((s) => canVisit({ state: 'terms' }, s))).toEqual([
      'credentials',
      'email',
      'terms',
    ]);
    expect(FORM_STEPS.filter((s) => canVisit({ state: 'submitted' }, s))).toEqual([]);
  });
});

describe.each(await testDatabases())('the registration flow store on $name', (kind) => {
  let database: Database<CountyDatabase>;
  beforeAll(async () => {
    database = await kind.open<CountyDatabase>(countyMigrations);
    await upsertTenant(database.db, {
      code: 'cyc',
      name: '嘉義縣',
      portal_name: '嘉義縣教師資訊應用服務入口',
      mail_domain: 'mail.cyc.edu.tw',
    });
  });
  afterAll(async () => database?.close());

  it('records each step and moves on; a submitted flow changes no more', async () => {
    const db = database.db;
    let flow = await startFlow(db, 'cyc');
    flow = (await completeStep(db, flow, 'credentials', { username: 'wang.xm' })) ?? flow;
    expect(flow.state).toBe('email');
    flow = (await completeStep(db, flow, 'email', { email: 'wang@example.org' })) ?? flow;
    // Step 1 edited again: the new value is kept, the flow stays at step 3.
    flow = (await completeStep(db, flow, 'credentials', { username: 'wang.xm2' })) ?? flow;
    expect(flow).toMatchObject({ state: 'terms', username: 'wang.xm2' });
    await db
      .updateTable('county_registration_flows')
      .set({ state: 'submitted' })
      .where('id', '=', flow.id)
      .execute();
    const submitted = await loadFlow(db, 'cyc', flow.id);
    expect(submitted?.state).toBe('submitted');
    if (!submitted) return;
    expect(await completeStep(db, submitted, 'credentials', { username: 'someone.else' })).toBeUndefined();
    expect((await loadFlow(db, 'cyc', flow.id))?.username).toBe('wang.xm2');
    // Another tenant's portal does not find the flow.
    expect(await loadFlow(db, 'tn', flow.id)).toBeUndefined();
  });
});
