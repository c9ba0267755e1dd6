import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../platform/testing/databases.ts';
import type { CloudDatabase, CloudDb } from '../db.ts';
import { cloudMigrations } from '../migrations.ts';
import type { CountySnapshot, FirstLoginState } from '../schema.ts';
import { LoginFlows } from './flows.ts';
import { FIRST_LOGIN, type FirstLoginTransition } from './transitions.ts';

const STATES: readonly FirstLoginState[] = [
  'no_account',
  'choose_name',
  'set_password',
  'consent',
  'link',
  'done',
];

const snapshot: CountySnapshot = {
  username: 'teacher01',
  name: '王小明',
  familyName: '王',
  givenName: '小明',
  email: 'teacher01@example.org',
  schoolid: '454503',
  titles: [],
  classinfo: [],
  openid2Id: null,
};

describe.each(await testDatabases())('the first-login transitions on $name', (kind) => {
  let close: () => Promise<void>;
  let db: CloudDb;
  let flows: LoginFlows;

  beforeAll(async () => {
    const database = await kind.open<CloudDatabase>(cloudMigrations);
    db = database.db;
    close = database.close;
    flows = new LoginFlows(db);
  });
  afterAll(async () => close?.());

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
    await db.updateTable('cloud_login_flows').set({ state }).where('id', '=', flow.id).execute();
    return flow.id;
  }

  for (const [name, transition] of Object.entries(FIRST_LOGIN) as Array<
    [FirstLoginTransition, (typeof FIRST_LOGIN)[FirstLoginTransition]]
  >) {
    it(`${name}: moves ${transition.from.join(' or ')} to ${transition.to}, and nothing else`, async () => {
      for (const state of STATES) {
        const id = await flowIn(state);
        const allowed = (transition.from as readonly FirstLoginState[]).includes(state);
        expect(await flows.take(id, transition, { chosenName: 'wang.xm' }), `${name} from ${state}`).toBe(
          allowed,
        );
        const after = await flows.get(id);
        expect(after?.state, `${name} from ${state}`).toBe(allowed ? transition.to : state);
        // A refused transition writes nothing of its change either.
        expect(after?.chosenName, `${name} from ${state}`).toBe(allowed ? 'wang.xm' : null);
        // The same form sent again (a replay, a second tab) changes nothing once the flow moved on.
        if (allowed && !(transition.from as readonly FirstLoginState[]).includes(transition.to)) {
          expect(await flows.take(id, transition), `${name} replayed`).toBe(false);
        }
      }
    });
  }

  it('takes no transition on an expired flow', async () => {
    const id = await flowIn('consent');
    await db
      .updateTable('cloud_login_flows')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', id)
      .execute();
    expect(await flows.take(id, FIRST_LOGIN.accept)).toBe(false);
  });
});
