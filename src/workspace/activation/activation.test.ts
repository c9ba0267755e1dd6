// The activation of a teacher's Google account through the portal's HTTP routes — the admin API
// (`edugate workspace activate | retry | lifecycle`, the button's request and an administrator's
// retry; the teacher's 「啟用 G Suite for Education」 takes the same step) — and the provisioning jobs
// against the Google stand-in: every row of ACTIVATION, and the retries the table refuses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exercises, refuses } from '../../platform/testing/flow-coverage.ts';
import { EXTERNAL_ID_CUSTOM_TYPE, EXTERNAL_ID_TYPE } from '../provisioning/jobs.ts';
import type { ActivationState } from '../schema.ts';
import { type ProvisioningRig, runJobsToCompletion, startProvisioningRig } from '../testing.ts';
import { rememberProfile } from './accounts.ts';
import { ACTIVATION } from './transitions.ts';

let rig: ProvisioningRig;
let n = 0;

interface Answer {
  status: number;
  body: {
    state?: ActivationState;
    message?: string;
    accounts?: Array<{ cloud_username: string; state: string; last_error: string | null }>;
    jobs?: Array<{ id: string; state: string; subject: string }>;
  };
  text: string;
}

/** The portal's admin API on its admin listener, as `edugate workspace …` calls it. */
async function admin(
  method: 'GET' | 'POST',
  path: string,
  payload?: Record<string, unknown>,
): Promise<Answer> {
  const response = await rig.workspace.app.inject({
    method,
    url: `/admin/api${path}`,
    headers: { authorization: `Bearer ${rig.workspace.ctx.secrets.adminToken}`, 'accept-language': 'zh-TW' },
    ...(payload ? { payload } : {}),
  });
  return { status: response.statusCode, body: response.json(), text: response.body };
}

/** A teacher who signed in to the portal once (the sign-in records the cloud profile). */
async function teacher(username = `act${++n}`) {
  const sub = `00000000-0000-4000-8000-${String(900 + ++n).padStart(12, '0')}`;
  await rememberProfile(
    rig.workspace.ctx.db,
    {
      sub,
      username,
      email: `${username}@mail.edu.tw`,
      name: '王小明',
      givenName: '小明',
      familyName: '王',
      schoolCode: '454503',
      county: null,
      state: 'active',
    },
    rig.config.workspaceDomain,
  );
  return { sub, username, email: `${username}@${rig.config.workspaceDomain}` };
}

const activate = (username: string) => admin('POST', `/workspace/accounts/${username}/activate`);
const retry = (username: string) => admin('POST', `/workspace/accounts/${username}/retry`);
const settle = () => runJobsToCompletion(rig.workspace.ctx);
/** The account's activation as the administrator's list shows it. */
async function shown(username: string) {
  const list = await admin('GET', '/workspace/accounts');
  return list.body.accounts?.find((a) => a.cloud_username === username)?.state;
}
const standIn = () => {
  const users = rig.google.app.googleStandIn?.users;
  if (!users) throw new Error('the Google stand-in is not running');
  return users;
};
/** Someone else's Google user at `email` (made at Google, without this account's external id). */
const someoneElseAt = (email: string) =>
  standIn().insert({
    primaryEmail: email,
    name: { givenName: '別', familyName: '人' },
    password: 'another-password',
    externalIds: [{ type: EXTERNAL_ID_TYPE, customType: EXTERNAL_ID_CUSTOM_TYPE, value: 'someone-else' }],
  });
/** Google answers 500 to every create until the activation's 20 attempts are spent. */
const failEveryCreate = () =>
  rig.googleAdmin('POST', '/faults', { kind: 'backendError500', method: 'users.insert', count: 20 });
/** The account's failed provisioning job, retried from the admin page (`edugate workspace jobs retry`). */
async function retryFailedJob(sub: string) {
  const { jobs } = (await admin('GET', '/workspace/jobs')).body;
  const job = jobs?.find((j) => j.state === 'failed' && j.subject === sub);
  expect(job, 'a failed job of the account').toBeDefined();
  expect((await admin('POST', `/workspace/jobs/${job?.id}/retry`)).status).toBe(200);
}

beforeAll(async () => {
  rig = await startProvisioningRig({ logLevel: 'error' });
  await rig.workspace.ctx.db
    .insertInto('workspace_schools')
    .values({ code: '454503', county: 'cyc', name: '朴子國民中學' })
    .execute();
}, 60_000);
afterAll(async () => rig?.close());

describe('activating a Google account (HTTP and the provisioning jobs)', () => {
  it('requested, then created by the job; pressed again or retried, nothing more happens', async () => {
    const t = await teacher();
    const queued = await activate(t.username);
    expect(queued.status).toBe(200);
    expect(queued.body.state).toBe(exercises(ACTIVATION, 'none', 'request'));
    await settle();
    expect(await shown(t.username)).toBe(exercises(ACTIVATION, 'queued', 'activate'));
    expect((await standIn().get(t.email)).primary_email).toBe(t.email);

    // Pressed again: no transition, the answer says it is active.
    expect((await activate(t.username)).body.state).toBe(refuses(ACTIVATION, 'active', 'request'));
    const refused = await retry(t.username);
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('的啟用沒有失敗');
    expect(await shown(t.username)).toBe(refuses(ACTIVATION, 'active', 'retry'));
  });

  it("meets someone else's user at the address, is retried, and is activated once the address is free", async () => {
    const t = await teacher();
    await someoneElseAt(t.email);
    await activate(t.username);
    await settle();
    expect(await shown(t.username)).toBe(exercises(ACTIVATION, 'queued', 'conflict'));

    expect((await retry(t.username)).body.state).toBe(exercises(ACTIVATION, 'conflict', 'retry'));
    await settle();
    expect(await shown(t.username)).toBe('conflict');

    await standIn().delete(t.email); // the administrator freed the address at Google
    expect((await activate(t.username)).body.state).toBe(exercises(ACTIVATION, 'conflict', 'request'));
    await settle();
    expect(await shown(t.username)).toBe('active');
  });

  it('fails for a name Google refuses, and fails again however it is retried', async () => {
    const t = await teacher('dotwalk30.');
    await activate(t.username);
    await settle();
    expect(await shown(t.username)).toBe(exercises(ACTIVATION, 'queued', 'fail'));

    expect((await retry(t.username)).body.state).toBe(exercises(ACTIVATION, 'failed', 'retry'));
    await settle();
    expect(await shown(t.username)).toBe('failed');
    expect((await activate(t.username)).body.state).toBe(exercises(ACTIVATION, 'failed', 'request'));
    await settle();
    expect(await shown(t.username)).toBe('failed');

    // Its failed job retried from the admin page fails once more.
    const to = exercises(ACTIVATION, 'failed', 'fail');
    await retryFailedJob(t.sub);
    await settle();
    expect(await shown(t.username)).toBe(to);
    expect(
      await standIn()
        .list()
        .then((users) => users.filter((u) => u.primary_email === t.email)),
    ).toEqual([]);
  });

  it('a failed activation whose job is retried once Google answers again becomes active', async () => {
    const t = await teacher();
    await failEveryCreate();
    await activate(t.username);
    await settle();
    expect(await shown(t.username)).toBe('failed');
    const to = exercises(ACTIVATION, 'failed', 'activate');
    await retryFailedJob(t.sub);
    await settle();
    expect(await shown(t.username)).toBe(to);
  });

  it('a failed activation retried once someone else took the address meets a conflict', async () => {
    const t = await teacher();
    await failEveryCreate();
    await activate(t.username);
    await settle();
    expect(await shown(t.username)).toBe('failed');
    await someoneElseAt(t.email);
    const to = exercises(ACTIVATION, 'failed', 'conflict');
    await retryFailedJob(t.sub);
    await settle();
    expect(await shown(t.username)).toBe(to);
  });

  it("an active account's lifecycle sync meets someone else's user, or finds none", async () => {
    const taken = await teacher();
    const gone = await teacher();
    await activate(taken.username);
    await activate(gone.username);
    await settle();
    expect([await shown(taken.username), await shown(gone.username)]).toEqual(['active', 'active']);

    // At Google, the user's external id was changed; another user was deleted.
    await standIn().modify(taken.email, {
      externalIds: [{ type: EXTERNAL_ID_TYPE, customType: EXTERNAL_ID_CUSTOM_TYPE, value: 'someone-else' }],
    });
    await standIn().delete(gone.email);
    for (const username of [taken.username, gone.username]) {
      const suspended = await admin('POST', '/workspace/lifecycle', {
        username,
        state: 'suspended',
        reason: 'account suspended',
      });
      expect(suspended.status).toBe(200);
    }
    await settle();
    expect(await shown(taken.username)).toBe(exercises(ACTIVATION, 'active', 'conflict'));
    expect(await shown(gone.username)).toBe(exercises(ACTIVATION, 'active', 'fail'));
  });
});
