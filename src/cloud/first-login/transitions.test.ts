import { beforeAll, describe, expect, it } from 'vitest';
import { IllegalTransition } from '../../platform/flows/flow.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import type { FirstLoginState } from '../schema.ts';
import { cloudTestDatabase, teacherSnapshot } from '../testing/database.ts';
import { LoginFlows } from './flows.ts';
import { FIRST_LOGIN } from './transitions.ts';

const STATES: readonly FirstLoginState[] = [
  'no_account',
  'choose_name',
  'set_password',
  'consent',
  'link',
  'done',
];

const snapshot = teacherSnapshot();

describe('the first-login table', () => {
  it('names every state of a flow, and leads only consent to an account and only forward to done', () => {
    expect([...FIRST_LOGIN.states].sort()).toEqual([...STATES].sort());
    expect(FIRST_LOGIN.from('accept')).toEqual(['consent']);
    expect(
      STATES.filter((state) => FIRST_LOGIN.events.some((event) => FIRST_LOGIN.allows(state, event))),
    ).not.toContain('done');
  });

  it('refuses a step out of order with an error naming the flow, the state and the step', () => {
    expect(() => FIRST_LOGIN.next('choose_name', 'accept')).toThrow(IllegalTransition);
    expect(() => FIRST_LOGIN.next('choose_name', 'accept')).toThrow(
      'first login: "accept" is not allowed in state "choose_name" (only in "consent")',
    );
    expect(() => FIRST_LOGIN.next('done', 'back')).toThrow('"back" is not allowed in state "done"');
  });
});

describe.each(await testDatabases())('the first-login transitions on $name', (kind) => {
  const database = cloudTestDatabase(kind);
  let flows: LoginFlows;
  beforeAll(() => {
    flows = new LoginFlows(database.db);
  });

  /** A flow standing in `state`, as a browser would find it after the steps before. */
  async function flowIn(state: FirstLoginState): Promise<string> {
    const flow = await flows.create({
      state: 'no_account',
      countyCode: 'cyc',
      issuer: 'https://cyc.example/cyc',
      subject: `s-${state}-${Math.random()}`,
      snapshot,
      guidHash: null,
      accountId: null,
      returnTo: '/account',
    });
    await database.db.updateTable('cloud_login_flows').set({ state }).where('id', '=', flow.id).execute();
    return flow.id;
  }

  for (const name of FIRST_LOGIN.events) {
    const from = FIRST_LOGIN.from(name);
    const to = (state: FirstLoginState) => FIRST_LOGIN.next(state, name);
    it(`${name}: moves ${from.map((state) => `${state} to ${to(state)}`).join(', ')}, and nothing else`, async () => {
      for (const state of STATES) {
        const id = await flowIn(state);
        const allowed = FIRST_LOGIN.allows(state, name);
        expect(await flows.take(id, name, { chosenName: 'wang.xm' }), `${name} from ${state}`).toBe(allowed);
        const after = await flows.get(id);
        expect(after?.state, `${name} from ${state}`).toBe(allowed ? to(state) : state);
        // A refused transition writes nothing of its change either.
        expect(after?.chosenName, `${name} from ${state}`).toBe(allowed ? 'wang.xm' : null);
        // The same form sent again (a replay, a second tab) changes nothing once the flow moved on.
        if (allowed && !FIRST_LOGIN.allows(to(state), name)) {
          expect(await flows.take(id, name), `${name} replayed`).toBe(false);
        }
      }
    });
  }

  it('takes no transition on an expired flow', async () => {
    const id = await flowIn('consent');
    await database.db
      .updateTable('cloud_login_flows')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', id)
      .execute();
    expect(await flows.take(id, 'accept')).toBe(false);
  });
});
