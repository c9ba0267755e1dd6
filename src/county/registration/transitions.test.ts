import { describe, expect, it } from 'vitest';
import { IllegalTransition } from '../../platform/flows/flow.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import type { RegistrationState } from '../schema.ts';
import { countyDatabase, forEveryMove } from '../testing/flow-stores.ts';
import { canVisit, completeStep, loadFlow, registrationFlows, STEPS, startFlow } from './flow.ts';
import { REGISTRATION, type RegistrationEvent } from './transitions.ts';

// The registration's transitions (how-to 一): each form step completed moves the flow on to the next
// step; an earlier step edited again keeps the progress; a step not reached yet is refused, and a
// submitted flow takes no step any more.

/** The event that completes each step's form. */
const COMPLETES: Record<Exclude<RegistrationState, 'submitted'>, RegistrationEvent> = {
  credentials: 'saveCredentials',
  email: 'saveEmail',
  terms: 'acceptTerms',
  unit: 'submit',
};

describe('the registration steps', () => {
  const FORM_STEPS = STEPS.filter((s) => s !== 'submitted') as Array<keyof typeof COMPLETES>;

  it('names every state of a flow', () => {
    expect([...REGISTRATION.states].sort()).toEqual([...STEPS].sort());
    expect(REGISTRATION.events).toEqual(Object.values(COMPLETES));
  });

  it.each(FORM_STEPS)('%s: completing it moves on to the step after it, never back', (step) => {
    const next = STEPS[STEPS.indexOf(step) + 1] as RegistrationState;
    const event = COMPLETES[step];
    for (const current of STEPS) {
      if (current === 'submitted' || STEPS.indexOf(current) < STEPS.indexOf(step)) {
        expect(() => REGISTRATION.next(current, event), `${step} completed at ${current}`).toThrow(
          IllegalTransition,
        );
        continue;
      }
      const expected = STEPS.indexOf(current) > STEPS.indexOf(step) ? current : next;
      expect(REGISTRATION.next(current, event), `${step} completed at ${current}`).toBe(expected);
    }
  });

  it('refuses a step not reached yet, or any step once submitted, saying which', () => {
    expect(() => REGISTRATION.next('credentials', 'acceptTerms')).toThrow(
      'registration: "acceptTerms" is not allowed in state "credentials" (only in "terms", "unit")',
    );
    expect(() => REGISTRATION.next('submitted', 'saveEmail')).toThrow(
      'registration: "saveEmail" is not allowed in state "submitted"',
    );
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
  const database = countyDatabase(kind);

  it('records each step and moves on; a submitted flow changes no more', async () => {
    const db = database.db;
    let flow = await startFlow(db, 'cyc');
    flow = (await completeStep(db, flow, 'saveCredentials', { username: 'wang.xm' })) ?? flow;
    expect(flow.state).toBe('email');
    flow = (await completeStep(db, flow, 'saveEmail', { email: 'wang@example.org' })) ?? flow;
    // Step 1 edited again: the new value is kept, the flow stays at step 3.
    flow = (await completeStep(db, flow, 'saveCredentials', { username: 'wang.xm2' })) ?? flow;
    expect(flow).toMatchObject({ state: 'terms', username: 'wang.xm2' });
    await db
      .updateTable('county_registration_flows')
      .set({ state: 'submitted' })
      .where('id', '=', flow.id)
      .execute();
    const submitted = await loadFlow(db, 'cyc', flow.id);
    expect(submitted?.state).toBe('submitted');
    if (!submitted) return;
    expect(
      await completeStep(db, submitted, 'saveCredentials', { username: 'someone.else' }),
    ).toBeUndefined();
    expect((await loadFlow(db, 'cyc', flow.id))?.username).toBe('wang.xm2');
    // Another tenant's portal does not find the flow.
    expect(await loadFlow(db, 'tn', flow.id)).toBeUndefined();
  });

  it('takes each event from each state as the table says, and writes nothing when it refuses', async () => {
    const db = database.db;
    await forEveryMove(REGISTRATION, STEPS, async ({ event, state, allowed, to, label }) => {
      const flow = await startFlow(db, 'cyc');
      await db.updateTable('county_registration_flows').set({ state }).where('id', '=', flow.id).execute();
      const taken = await registrationFlows.take(db, flow.id, event, { username: 'wang.xm' });
      expect(taken?.state, label).toBe(allowed ? to : undefined);
      const after = await loadFlow(db, 'cyc', flow.id);
      expect(after?.state, label).toBe(to);
      expect(after?.username, label).toBe(allowed ? 'wang.xm' : null);
    });
  });
});
