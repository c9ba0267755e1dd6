import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../platform/database/connect.ts';
import type { PlatformTables } from '../../platform/database/platform-schema.ts';
import { IllegalTransition } from '../../platform/flows/flow.ts';
import { listJobs } from '../../platform/jobs/queue.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import { workspaceMigrations } from '../migrations.ts';
import { ACTIVATE_JOB } from '../provisioning/jobs.ts';
import type { ActivationState, WorkspaceTables } from '../schema.ts';
import { type CloudProfile, rememberProfile, requestActivation, retryActivation } from './accounts.ts';
import { activations } from './store.ts';
import { ACTIVATION } from './transitions.ts';

const STATES: readonly ActivationState[] = ['none', 'queued', 'active', 'conflict', 'failed'];

describe('the activation table', () => {
  it('names every state, and activates only what was asked for', () => {
    expect([...ACTIVATION.states].sort()).toEqual([...STATES].sort());
    expect(ACTIVATION.from('activate')).toEqual(['queued', 'failed']);
    expect(ACTIVATION.from('request')).toEqual(['none', 'failed', 'conflict']);
    expect(ACTIVATION.from('retry')).toEqual(['failed', 'conflict']);
  });

  it('refuses a move out of order with an error naming the state and the event', () => {
    expect(() => ACTIVATION.next('none', 'activate')).toThrow(IllegalTransition);
    expect(() => ACTIVATION.next('none', 'activate')).toThrow(
      'workspace activation: "activate" is not allowed in state "none" (only in "queued", "failed")',
    );
    expect(() => ACTIVATION.next('conflict', 'activate')).toThrow(
      '"activate" is not allowed in state "conflict"',
    );
    expect(() => ACTIVATION.next('active', 'request')).toThrow('"request" is not allowed in state "active"');
  });
});

type Db = Database<WorkspaceTables & PlatformTables>;

describe.each(await testDatabases())('the activations on $name', (kind) => {
  let database: Db;
  let n = 0;
  beforeAll(async () => {
    database = await kind.open<WorkspaceTables & PlatformTables>(workspaceMigrations);
  });
  afterAll(async () => database?.close());

  /** A teacher whose activation is in `state`. */
  async function teacherIn(state: ActivationState, cloudState: CloudProfile['state'] = 'active') {
    n += 1;
    const profile: CloudProfile = {
      sub: `sub-${n}`,
      username: `teacher${n}`,
      email: `teacher${n}@mail.edu.tw`,
      name: '王小明',
      givenName: '小明',
      familyName: '王',
      schoolCode: '454503',
      county: 'cyc',
      state: cloudState,
    };
    await rememberProfile(database.db, profile, 'go.edu.tw');
    await database.db
      .updateTable('workspace_accounts')
      .set({ state })
      .where('cloud_sub', '=', profile.sub)
      .execute();
    return profile.sub;
  }
  const stateOf = async (sub: string) =>
    (
      await database.db
        .selectFrom('workspace_accounts')
        .select(['state', 'last_error'])
        .where('cloud_sub', '=', sub)
        .executeTakeFirstOrThrow()
    ).state;

  it('takes each event from each state as the table says, and writes nothing when it refuses', async () => {
    for (const event of ACTIVATION.events) {
      for (const state of STATES) {
        const sub = await teacherIn(state);
        const allowed = ACTIVATION.allows(state, event);
        const taken = await activations.take(database.db, sub, event, { last_error: 'x' });
        expect(taken?.state, `${event} at ${state}`).toBe(
          allowed ? ACTIVATION.next(state, event) : undefined,
        );
        expect(await stateOf(sub), `${event} at ${state}`).toBe(
          allowed ? ACTIVATION.next(state, event) : state,
        );
        const row = await database.db
          .selectFrom('workspace_accounts')
          .select('last_error')
          .where('cloud_sub', '=', sub)
          .executeTakeFirstOrThrow();
        expect(row.last_error, `${event} at ${state}`).toBe(allowed ? 'x' : null);
      }
    }
  });

  it('the button queues one job from none, failed or conflict; pressed while queued or active, nothing more', async () => {
    for (const state of STATES) {
      const sub = await teacherIn(state);
      const row = await requestActivation(database.db, sub, 'teacher', null);
      const jobs = (await listJobs(database.db, { type: ACTIVATE_JOB })).filter((j) => j.payload.sub === sub);
      const queued = ACTIVATION.allows(state, 'request');
      expect(row.state, state).toBe(queued ? 'queued' : state);
      expect(jobs.length, state).toBe(queued ? 1 : 0);
    }
    // A suspended cloud account is not activated.
    const suspended = await teacherIn('none', 'suspended');
    expect((await requestActivation(database.db, suspended, 'teacher', null)).state).toBe('none');
  });

  it('an administrator retries from failed or conflict only, and is told the state otherwise', async () => {
    for (const state of STATES) {
      const sub = await teacherIn(state);
      const retried = retryActivation(database.db, sub, 'admin-api', null);
      const jobs = async () =>
        (await listJobs(database.db, { type: ACTIVATE_JOB })).filter((j) => j.payload.sub === sub);
      if (ACTIVATION.allows(state, 'retry')) {
        expect((await retried).state, state).toBe('queued');
        expect(await jobs(), state).toHaveLength(1);
      } else {
        await expect(retried, state).rejects.toMatchObject({ code: 'ws_not_failed', params: { state } });
        expect(await stateOf(sub), state).toBe(state);
        expect(await jobs(), state).toHaveLength(0);
      }
    }
  });
});
